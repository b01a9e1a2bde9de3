# Tidy tables per study, and the choice a tuned study makes from its sweep.


checkpoint choose:
    input:
        tune_source_summaries,
    output:
        f"{RESULTS}/{{study}}/choice.json",
    params:
        key=tune_setting("key"),
        metric=tune_setting("metric"),
        goal=tune_setting("goal"),
        runs=tune_source_run_folders,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/choose/{{study}}.log",
    wildcard_constraints:
        study="|".join(TUNED) or "a^",
    shell:
        "nnbench aggregate --choose {params.key} --metric {params.metric} --goal {params.goal}"
        " --out {output} {params.runs} > {log} 2>&1"


rule aggregate:
    input:
        study_summaries,
    output:
        runs=f"{RESULTS}/{{study}}/runs.csv",
        curves=f"{RESULTS}/{{study}}/curves.csv",
    params:
        out=lambda wildcards: f"{RESULTS}/{wildcards.study}",
        runs=study_run_folders,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/aggregate/{{study}}.log",
    # a second or two each, and what the study's figures section waits for: before any
    # run group but those a checkpoint waits for (nnbench.groups.GATING_PRIORITY)
    priority: AGGREGATE_PRIORITY
    resources:
        mem_mb=8000,
    shell:
        "nnbench aggregate --study {wildcards.study} --out-dir {params.out} {params.runs} > {log} 2>&1"
