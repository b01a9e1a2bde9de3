# The lecture's slide decks, one per language of the config (reports/slides/lecture.<lang>.pptx),
# made from what the report reads (nnbench.slides; docs/SLIDES.md), beside the report: a
# deck does not read the report, so the two run at once.

rule slides:
    input:
        tables=expand(f"{RESULTS}/{{study}}/runs.csv", study=STUDIES),
        manifests=[f"{REPORTS}/{manifest_name(lang)}" for lang in LANGUAGES],
        figures=f"{REPORTS}/figures",
        figure_tables=f"{REPORTS}/tables",
    output:
        decks=[
            report(deck, caption="../report/slides.rst", category="nnbench report")
            for deck in expand(f"{REPORTS}/slides/lecture.{{lang}}.pptx", lang=LANGUAGES)
        ],
        # the decks' own index (nnbench.slides.DECKS_MANIFEST)
        index=f"{REPORTS}/slides/manifest.json",
    params:
        results=results_folder,
        reports=lambda wildcards, input: os.path.dirname(input.manifests[0]),
        languages=" ".join(LANGUAGES),
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/slides.log",
    shell:
        "nnbench slides --results {params.results} --reports {params.reports} --lang {params.languages} > {log} 2>&1"
