# One job per run, keyed by run_id: a run shared by several studies runs once.


rule run:
    input:
        spec=f"{SPECS}/{{run_id}}.json",
        data=run_data_input,
    # The record's files every run kind writes. A kind's extra table (histograms.csv,
    # minibatch_spread.csv) depends on the spec, which outputs cannot: declaring those
    # needs the run folder as one directory() output, and the input functions of
    # common.smk to ask for folders instead of summary.json.
    output:
        summary=f"{RESULTS}/runs/{{run_id}}/summary.json",
        spec=f"{RESULTS}/runs/{{run_id}}/spec.json",
        curves=f"{RESULTS}/runs/{{run_id}}/curves.csv",
    params:
        out=lambda wildcards: f"{RESULTS}/runs/{wildcards.run_id}",
    # the run's one-line summary (status, test accuracy, seconds), or its error
    log:
        f"{LOGS}/runs/{{run_id}}.log",
    # wall and CPU time, peak memory (max_rss) of each run, as TSV
    benchmark:
        f"{LOGS}/benchmarks/runs/{{run_id}}.tsv"
    threads: THREADS
    resources:
        mem_mb=2000,
        runtime=run_runtime,
    shell:
        "nnbench run {input.spec} --out {params.out} --threads {threads} > {log} 2>&1"
