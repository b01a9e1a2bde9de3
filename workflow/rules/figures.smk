# Figures and tables of every study, from the aggregated tables only.
#
# Both folders are outputs, so a rerun starts from empty ones (no stale figure of a
# study that is gone) and `snakemake --report` finds every PNG figure and CSV table:
# its category is the report section, its subcategory the study, and its caption
# nnbench's own from manifest.json (report_items.smk).


include: "report_items.smk"


from nnbench.figures import manifest_name
from nnbench.report import report_name

# The config's languages (schema-checked): one manifest, figure folder and report each.
LANGUAGES = CONFIG["languages"]


rule figures:
    input:
        expand(f"{RESULTS}/{{study}}/runs.csv", study=STUDIES),
        expand(f"{RESULTS}/{{study}}/curves.csv", study=STUDIES),
        # the effective config: study titles, the plots of the user's own studies, and its
        # SHA-256 in every figure's and table's provenance line (rewritten only on change)
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
        results=results_folder,
        reports=reports_folder,
        languages=" ".join(LANGUAGES),
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/figures.log",
    # sections are drawn in parallel processes (Snakemake lowers this to --cores)
    threads: 4
    resources:
        mem_mb=8000,
    shell:
        "nnbench figures --results {params.results} --out-dir {params.reports} --config {input.config} "
        "--lang {params.languages} --jobs {threads} > {log} 2>&1"
