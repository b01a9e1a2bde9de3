# The self-contained HTML reports, one per language (reports/report.html in English,
# reports/report.<lang>.html); also what `snakemake --report` shows first
# (workflow/report/workflow.rst) and the reports themselves as its items.


report: "../report/workflow.rst"


rule report:
    input:
        tables=expand(f"{RESULTS}/{{study}}/runs.csv", study=STUDIES),
        manifests=[f"{REPORTS}/{manifest_name(lang)}" for lang in LANGUAGES],
        figures=f"{REPORTS}/figures",
        figure_tables=f"{REPORTS}/tables",
    output:
        [
            report(f"{REPORTS}/{report_name(lang)}", caption="../report/report.rst", category="nnbench report")
            for lang in LANGUAGES
        ],
    params:
        results=results_folder,
        reports=reports_folder,
        config=EFFECTIVE_CONFIG,
        languages=" ".join(LANGUAGES),
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/report.log",
    shell:
        "nnbench report --results {params.results} --reports {params.reports} --config {params.config}"
        " --lang {params.languages} > {log} 2>&1"
