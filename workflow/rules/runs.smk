# One job per group of runs (nnbench.groups, planned by nnbench.plan over the runs that
# have no record yet): imports and data are loaded once per group, and every run
# still writes its own record, results/runs/<run_id>/, the moment it completes. The
# records are not declared as outputs on purpose: snakemake deletes a job's outputs
# before rerunning it, and a rerun group must keep the records it already finished.
# The marker is written when every member's record exists.


rule run:
    input:
        group=f"{GROUPS}/{{group_id}}.json",
        data=group_data_input,
    output:
        f"{GROUPS}/{{group_id}}.done",
    # one line per run (status, seconds, folder), or the error that stopped the group
    log:
        f"{LOGS}/groups/{{group_id}}.log",
    # wall and CPU time, peak memory (max_rss) of each group, as TSV
    benchmark:
        f"{LOGS}/benchmarks/groups/{{group_id}}.tsv"
    params:
        results=RESULTS,
        blas_threads=THREADS,
    threads: RUN_JOB_CORES
    priority: group_priority
    resources:
        mem_mb=group_memory,
        runtime=group_runtime,
    conda:
        CONDA_ENV
    shell:
        "nnbench run-group {input.group} --results {params.results} --threads {params.blas_threads} > {log} 2>&1 && touch {output}"
