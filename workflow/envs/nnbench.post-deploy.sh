#!/usr/bin/env bash
# Run by snakemake in the new environment, in its working directory (the repository root):
# nnbench itself, editable, so the package is this checkout's and every record names its
# git commit; --no-deps because requirements.lock installed every dependency already.
set -euo pipefail
python -m pip install --no-deps -e "$PWD"
