# The lecture's slide decks, one per language of the config (reports/slides/lecture.<lang>.pptx),
# made after the report from what the report reads (nnbench.slides; docs/SLIDES.md).

from nnbench.i18n import LANGUAGES as ALL_LANGUAGES

# The config's `languages` (checked by the schema where it has the key), else every language.
DECK_LANGUAGES = list(CONFIG.get("languages") or ALL_LANGUAGES)


rule slides:
    input:
        tables=expand(f"{RESULTS}/{{study}}/runs.csv", study=STUDIES),
        manifest=f"{REPORTS}/manifest.json",
        figures=f"{REPORTS}/figures",
        figure_tables=f"{REPORTS}/tables",
        # after the report: a deck is the report's figures and findings, slide by slide
        report=f"{REPORTS}/report.html",
    output:
        [
            report(deck, caption="../report/slides.rst", category="nnbench report")
            for deck in expand(f"{REPORTS}/slides/lecture.{{lang}}.pptx", lang=DECK_LANGUAGES)
        ],
    params:
        results=results_folder,
        reports=lambda wildcards, input: os.path.dirname(input.manifest),
        languages=" ".join(f"--lang {lang}" for lang in DECK_LANGUAGES),
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/slides.log",
    shell:
        "nnbench slides --results {params.results} --reports {params.reports} {params.languages} > {log} 2>&1"
