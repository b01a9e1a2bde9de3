# Figures and tables of every study, from the aggregated tables only.


rule figures:
    input:
        expand(f"{RESULTS}/{{study}}/runs.csv", study=STUDIES),
        expand(f"{RESULTS}/{{study}}/curves.csv", study=STUDIES),
    output:
        f"{REPORTS}/manifest.json",
    params:
        results=results_folder,
        reports=reports_folder,
    log:
        f"{LOGS}/figures.log",
    resources:
        mem_mb=8000,
    conda:
        "../envs/nnbench.yaml"
    shell:
        "nnbench figures --results {params.results} --out {params.reports} > {log} 2>&1"
