# The self-contained HTML report (reports/report.html).


rule report:
    input:
        tables=expand(f"{RESULTS}/{{study}}/runs.csv", study=STUDIES),
        manifest=f"{REPORTS}/manifest.json",
    output:
        f"{REPORTS}/report.html",
    params:
        results=results_folder,
        reports=reports_folder,
        config=EFFECTIVE_CONFIG,
    log:
        f"{LOGS}/report.log",
    conda:
        "../envs/nnbench.yaml"
    shell:
        "nnbench report --results {params.results} --reports {params.reports} --config {params.config}"
        " --out {output} > {log} 2>&1"
