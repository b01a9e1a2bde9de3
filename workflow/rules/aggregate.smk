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
    # on the longest chain (sweep, choice, tuned runs): before the figures sections that wait
    # for cores as soon as the first studies are aggregated
    priority: GATING_PRIORITY
    wildcard_constraints:
        study="|".join(TUNED) or "a^",
    shell:
        "nnbench aggregate --choose {params.key} --metric {params.metric} --goal {params.goal}"
        " --out {output} {params.runs} > {log} 2>&1"


import re

from nnbench.groups import aggregate_job_name


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
    wildcard_constraints:
        # the studies aggregated alone (AGGREGATE_JOBS, common.smk); the others below
        study="|".join(re.escape(job[0]) for job in AGGREGATE_JOBS if len(job) == 1) or "a^",
    shell:
        "nnbench aggregate --study {wildcards.study} --out-dir {params.out} {params.runs} > {log} 2>&1"


# Studies whose tables take less than a process start share one (the quick config's, a few
# of the full study's), each study's runs named as rule aggregate names them.
for shared_studies in (job for job in AGGREGATE_JOBS if len(job) > 1):

    rule:
        name:
            f"aggregate_{aggregate_job_name(shared_studies)}"
        input:
            PLAN.studies_summaries(shared_studies),
        output:
            [f"{RESULTS}/{study}/{table}" for study in shared_studies for table in ("runs.csv", "curves.csv")],
        params:
            results=lambda wildcards, output: os.path.dirname(os.path.dirname(output[0])),
            runs=PLAN.studies_run_folders(shared_studies),
        conda:
            CONDA_ENV
        log:
            f"{LOGS}/aggregate/{aggregate_job_name(shared_studies)}.log",
        priority: AGGREGATE_PRIORITY
        resources:
            mem_mb=8000,
        shell:
            "nnbench aggregate --results {params.results} {params.runs} > {log} 2>&1"
