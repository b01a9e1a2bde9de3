# Fetch and verify each dataset once into the cache (<cache_dir>/<name>/).
#
# The marker is the rule's only output on purpose: the cache is content-addressed,
# verified on every load and may be shared by several workflows (cache_dir can point
# anywhere), so snakemake must never delete it as it deletes a rule's outputs before
# rerunning the rule.


rule data:
    output:
        "resources/data/{dataset}.ready",
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/data/{{dataset}}.log",
    shell:
        "nnbench data fetch {wildcards.dataset} > {log} 2>&1 && touch {output}"
