# Figures and tables of every study, from the aggregated tables only.
#
# Both folders are outputs, so a rerun starts from empty ones (no stale figure of a
# study that is gone) and `snakemake --report` finds every PNG figure and CSV table:
# its category is the report section, its subcategory the study, and its caption
# nnbench's own from manifest.json (report_items.smk).


include: "report_items.smk"


from nnbench.figures import figure_sections, manifest_name, section_tables
from nnbench.report import report_name

# The config's languages (schema-checked): one manifest, figure folder and report each.
LANGUAGES = CONFIG["languages"]


# One job per report section (nnbench.figures.figure_sections): a section is drawn, in every
# language, as soon as its own studies are aggregated, beside the runs still going; the
# figures job then only gathers the sections (hard links) and writes the manifests.
FIGURE_SECTIONS = figure_sections(STUDIES)
FIGURE_PARTS = "resources/sections"


rule figure_section:
    input:
        # the aggregated tables of the config's studies that this section reads
        tables=lambda wildcards: section_tables(RESULTS, wildcards.section, STUDIES),
        # the effective config: study titles, the plots of the user's own studies, and its
        # SHA-256 in every figure's and table's provenance line (rewritten only on change)
        config=EFFECTIVE_CONFIG,
    output:
        directory(f"{FIGURE_PARTS}/{{section}}"),
    params:
        results=RESULTS,
        languages=" ".join(LANGUAGES),
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/figures/{{section}}.log",
    # wall and CPU time of each section (benchmarks/makespan.py --from-run reads them)
    benchmark:
        f"{LOGS}/benchmarks/figures/{{section}}.tsv"
    wildcard_constraints:
        section="|".join(FIGURE_SECTIONS),
    resources:
        mem_mb=2000,
    shell:
        "nnbench figures --section {wildcards.section} --results {params.results} --out-dir {output}"
        " --config {input.config} --lang {params.languages} > {log} 2>&1"


rule figures:
    input:
        parts=expand(f"{FIGURE_PARTS}/{{section}}", section=FIGURE_SECTIONS),
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
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/figures.log",
    shell:
        "nnbench figures --merge {input.parts} --results {params.results} --out-dir {params.reports}"
        " --config {input.config} --lang {params.languages} > {log} 2>&1"
