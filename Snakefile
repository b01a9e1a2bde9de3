# nnbench: the whole study of STUDY.md as one workflow.
#
#   snakemake --cores 2                                   # full default study (config/config.yaml)
#   snakemake --cores 2 --configfile config/quick.yaml    # every study at toy scale on digits
#   snakemake -n                                          # plan only
#
# config -> grid (resources/specs/<run_id>.json) -> runs (results/runs/<run_id>/)
# -> aggregate (results/<study>/*.csv) -> figures (reports/figures, reports/tables)
# -> report (reports/report.html, reports/report.<lang>.html per config `languages`)
# -> slides (reports/slides/lecture.<lang>.pptx). See config/README.md.

# The config: `--configfile FILE` replaces config/config.yaml entirely (no merging of
# two studies' settings); `--config KEY=VALUE` overrides top-level keys of either.
include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/runs.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/slides.smk"
include: "workflow/rules/slurm_status.smk"


localrules:
    all,
    data,
    choose,
    figures,


rule all:
    default_target: True
    input:
        [f"{REPORTS}/{report_name(lang)}" for lang in LANGUAGES],
        rules.slides.output,


onsuccess:
    print(final_line())


onerror:
    print(final_line() + f" (the workflow stopped on an error; see {LOGS}/)")
