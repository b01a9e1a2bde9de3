# One job per run, keyed by run_id: a run shared by several studies runs once.


rule run:
    input:
        spec=f"{SPECS}/{{run_id}}.json",
        data=run_data_input,
    output:
        f"{RESULTS}/runs/{{run_id}}/summary.json",
    params:
        out=lambda wildcards: f"{RESULTS}/runs/{wildcards.run_id}",
    log:
        f"{LOGS}/runs/{{run_id}}.log",
    threads: THREADS
    resources:
        mem_mb=2000,
        runtime=run_runtime,
    conda:
        "../envs/nnbench.yaml"
    shell:
        "nnbench run {input.spec} --out {params.out} --threads {threads} --quiet > {log} 2>&1"
