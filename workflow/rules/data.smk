# Fetch and verify each dataset once into the cache (resources/data/<name>/).


rule data:
    output:
        "resources/data/{dataset}.ready",
    log:
        f"{LOGS}/data/{{dataset}}.log",
    conda:
        "../envs/nnbench.yaml"
    shell:
        "nnbench data fetch {wildcards.dataset} > {log} 2>&1 && touch {output}"
