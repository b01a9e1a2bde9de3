# The self-contained HTML report (reports/report.html); also what `snakemake --report`
# shows first (workflow/report/workflow.rst) and the report itself as one of its items.


report: "../report/workflow.rst"


rule report:
    input:
        tables=expand(f"{RESULTS}/{{study}}/runs.csv", study=STUDIES),
        manifest=f"{REPORTS}/manifest.json",
        figures=f"{REPORTS}/figures",
        figure_tables=f"{REPORTS}/tables",
    output:
        report(
            f"{REPORTS}/report.html",
            caption="../report/report.rst",
            category="nnbench report",
        ),
    params:
        results=results_folder,
        reports=reports_folder,
        config=EFFECTIVE_CONFIG,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/report.log",
    shell:
        "nnbench report --results {params.results} --reports {params.reports} --config {params.config}"
        " --out {output} > {log} 2>&1"
