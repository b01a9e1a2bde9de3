# Figures and tables of every study, from the aggregated tables only.
#
# Both folders are outputs, so a rerun starts from empty ones (no stale figure of a
# study that is gone) and `snakemake --report` finds every PNG figure and CSV table:
# its category is the report section, its subcategory the study, and its caption
# nnbench's own from manifest.json (report_items.smk).


include: "report_items.smk"


import re

from nnbench.figures import figure_job_name, figure_job_processes, figure_sections, manifest_name, section_priority, section_tables
from nnbench.report import report_name

# The config's languages (schema-checked): one manifest, figure folder and report each.
LANGUAGES = CONFIG["languages"]


# The report's sections are drawn by the figures jobs of common.smk (FIGURE_JOBS); the
# figures job then only gathers the sections (hard links) and writes the manifests.
FIGURE_PARTS = "resources/sections"
# the processes of each (CPUs to spare: the slowest sections draw their languages at once)
FIGURE_JOB_PROCESSES = {figure_job_name(sections): processes for sections, processes in figure_job_processes(
    list(FIGURE_JOBS.values()), PLAN.figure_workers, LANGUAGES, CONFIG["figure_formats"]).items()}
# every section's folder, in the report's order (the merge's)
FIGURE_SECTION_PARTS = [f"{FIGURE_PARTS}/{job}/{section}" for section in figure_sections(STUDIES)
                        for job, sections in FIGURE_JOBS.items() if section in sections]


rule figure_section:
    input:
        # the aggregated tables of the config's studies that these sections read
        tables=lambda wildcards: sorted({table for section in FIGURE_JOBS[wildcards.figure_job]
                                         for table in section_tables(RESULTS, section, STUDIES)}),
        # the effective config: study titles, the plots of the user's own studies, and its
        # SHA-256 in every figure's and table's provenance line (rewritten only on change)
        config=EFFECTIVE_CONFIG,
    output:
        directory(f"{FIGURE_PARTS}/{{figure_job}}"),
    params:
        results=RESULTS,
        languages=" ".join(LANGUAGES),
        sections=lambda wildcards: " ".join(FIGURE_JOBS[wildcards.figure_job]),
        processes=lambda wildcards: FIGURE_JOB_PROCESSES[wildcards.figure_job],
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/figures/{{figure_job}}.log",
    # wall and CPU time of each figures job (benchmarks/makespan.py --from-run reads them)
    benchmark:
        f"{LOGS}/benchmarks/figures/{{figure_job}}.tsv"
    wildcard_constraints:
        figure_job="|".join(re.escape(job) for job in FIGURE_JOBS),
    # after every run group, the slowest sections first (nnbench.figures.section_priority)
    priority: lambda wildcards: section_priority(wildcards.figure_job)
    # per process, as many of snakemake's cores as leave a CPU to each (like a run group's)
    threads: lambda wildcards: FIGURE_JOB_PROCESSES[wildcards.figure_job] * PLAN.process_cores
    resources:
        # a section's process peaked at 415 MB in the full study
        mem_mb=lambda wildcards: 2000 * FIGURE_JOB_PROCESSES[wildcards.figure_job],
    shell:
        "nnbench figures --section {params.sections} --results {params.results} --out-dir {output}"
        " --config {input.config} --lang {params.languages} --jobs {params.processes} > {log} 2>&1"


rule figures:
    input:
        jobs=expand(f"{FIGURE_PARTS}/{{figure_job}}", figure_job=FIGURE_JOBS),
        config=EFFECTIVE_CONFIG,
    output:
        manifests=[f"{REPORTS}/{manifest_name(lang)}" for lang in LANGUAGES],
        figures=report(
            directory(f"{REPORTS}/figures"),
            # every language's figures (their captions: the first language's manifest)
            patterns=["{lang}/{name}.png"],
            caption="../report/figure.rst",
            category=report_category("figures"),
            subcategory=report_subcategory("figures"),
            labels=report_labels("figures"),
        ),
        tables=report(
            directory(f"{REPORTS}/tables"),
            patterns=["{name}.csv"],
            caption="../report/table.rst",
            category=report_category("tables"),
            subcategory=report_subcategory("tables"),
            labels=report_labels("tables"),
        ),
    params:
        results=RESULTS,
        reports=reports_folder,
        languages=" ".join(LANGUAGES),
        parts=FIGURE_SECTION_PARTS,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/figures.log",
    shell:
        "nnbench figures --merge {params.parts} --results {params.results} --out-dir {params.reports}"
        " --config {input.config} --lang {params.languages} > {log} 2>&1"
