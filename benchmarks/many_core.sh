#!/usr/bin/env bash
# Issue 22 on a many-core machine, in one go (about 6-8 minutes on 16 cores):
#   1. the machine (CPU, cores, BLAS) and its capacity: min(CORES, CPUs) concurrent
#      single-thread float32 GEMM processes at 1024^3 and at the MLP's 128x784x100,
#   2. the quick config and the full default study with `snakemake --cores CORES` from
#      scratch, each against its floors (benchmarks/workflow_scale.py --full --capacity),
#   3. the makespan model with its costs fitted to that full run (benchmarks/makespan.py
#      --from-run): what the schedule could reach on 2, 8, 16 and 64 cores.
#
# Run from the repository root on a machine with Python 3 and numpy, pandas, scipy,
# scikit-learn, matplotlib, seaborn and statsmodels, but without snakemake:
#
#   OUT=/path/for/tables NNBENCH_DATA=/path/to/datasets bash benchmarks/many_core.sh [CORES]
#
# The wheels (about 52 MB) and the datasets (42 MB) may not travel together (a borrowed
# machine takes 64 MiB per call): then call it twice, the first time carrying .whl only,
#   bash benchmarks/many_core.sh --install      # installs into /tmp/site and keeps a copy in .site/
# and then carrying the datasets only (the wheels are found in .site/).
#
# CORES defaults to the machine's CPUs. Wheels of snakemake and of whatever else nnbench
# needs that the machine lacks lie in .whl/ (built elsewhere, e.g. with `pip download
# --only-binary=:all: --python-version 3.12 -d .whl snakemake==<the lock's> jinja2 jsonschema
# pyyaml babel filelock`, plus `pip wheel --no-deps -w .whl` for sdist-only ones such as
# connection-pool); NNBENCH_DATA (default: .datasets/ in the checkout) holds mnist/ and
# fashion-mnist/ as in /work/shared/datasets. Everything written lands under $OUT
# (default benchmarks/out/many_core): machine.txt, workflow_scale.{md,json},
# makespan.{md,json}, the full run's job benchmarks and snakemake log, and summary.md.
set -uo pipefail

if [ "${1:-}" = "--install" ]; then INSTALL_ONLY=1; shift; else INSTALL_ONLY=0; fi
CORES="${1:-$(nproc)}"
OUT="${OUT:-benchmarks/out/many_core}"
export NNBENCH_DATA="${NNBENCH_DATA:-$PWD/.datasets}"
WORK=/tmp/nnbench-many-core
mkdir -p "$OUT"
started=$(date +%s)

if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
  rm -rf .site && cp -r /tmp/site .site  # kept (ignored) for a later call that carries only the datasets
elif [ -d .site ]; then
  export PYTHONPATH="$PWD/.site"  # installed by an earlier call on this machine (`--install`)
fi
[ "$INSTALL_ONLY" = 1 ] && { echo "many_core: wheels installed into /tmp/site and .site"; exit 0; }
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD"
# The workflow's jobs call `nnbench`; without `pip install -e .` it is this launcher.
mkdir -p /tmp/nnbench-bin
printf '#!/bin/sh\nexec python3 -m nnbench "$@"\n' > /tmp/nnbench-bin/nnbench
chmod +x /tmp/nnbench-bin/nnbench
export PATH="/tmp/nnbench-bin:$PATH"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "cores used: $CORES of $(nproc)"
  python3 --version
  lscpu 2>/dev/null | grep -E 'Model name|^CPU\(s\)|Thread|MHz|L2|L3' || true
  python3 -c "import numpy, threadpoolctl; print('numpy', numpy.__version__); [print('BLAS', i.get('internal_api'), i.get('version'), i.get('architecture')) for i in threadpoolctl.threadpool_info() if i.get('user_api') == 'blas']"
  python3 -c "import snakemake; print('snakemake', snakemake.__version__)"
  ls "$NNBENCH_DATA"
} > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
python3 -c "import snakemake, nnbench, jinja2, jsonschema, yaml" || { echo "many_core: a package is missing (see above)"; exit 2; }

# 1 + 2: capacity, quick config and full study, from scratch (the folders are kept for 3).
rm -rf "$WORK"
# FULL=0: the quick config only (a smoke test of this script, about a minute).
if [ "${FULL:-1}" = 1 ]; then RUN=full; CONFIG=config/config.yaml; SCALE=(--full); else RUN=quick; CONFIG=config/quick.yaml; SCALE=(); fi
timeout 480 python3 benchmarks/workflow_scale.py "${SCALE[@]}" --capacity --cores "$CORES" --repeats 2 \
  --workdir "$WORK" --keep 2>&1 | tee "$OUT/workflow_scale.log"
cp benchmarks/out/workflow_scale.md benchmarks/out/workflow_scale.json "$OUT/" 2>/dev/null

# 3: the makespan model fitted to the full run's group jobs.
python3 benchmarks/makespan.py --from-run "$WORK/$RUN" --config "$CONFIG" --cores 2 8 16 64 2>&1 | tee "$OUT/makespan.log"
cp benchmarks/out/makespan.md benchmarks/out/makespan.json "$OUT/" 2>/dev/null
python3 benchmarks/makespan.py --validate > "$OUT/makespan_validate.md" 2>&1

# Seeds in lockstep at 1, 2 and CORES concurrent processes (docs/PERFORMANCE.md): the
# 16-process numbers the 2-core machine could not give.
timeout 300 python3 benchmarks/lockstep.py --procs 1 2 "$CORES" --repeats 3 --no-share --out "$OUT" \
  > "$OUT/lockstep.log" 2>&1

# The full run's timeline: each job's benchmark (wall, CPU, memory) and snakemake's log.
mkdir -p "$OUT/${RUN}_run"
cp -r "$WORK/$RUN/logs/benchmarks" "$OUT/${RUN}_run/" 2>/dev/null
cp "$WORK/$RUN"/.snakemake/log/*.snakemake.log "$OUT/${RUN}_run/" 2>/dev/null

{
  echo "# many_core.sh on $(python3 -c 'import os; print(os.cpu_count())') CPUs, --cores $CORES"
  echo
  cat "$OUT/workflow_scale.md" 2>/dev/null
  echo
  cat "$OUT/makespan.md" 2>/dev/null
  echo
  cat "$OUT/lockstep.md" 2>/dev/null
  echo
  echo "script wall time: $(( $(date +%s) - started )) s"
} > "$OUT/summary.md"
cat "$OUT/summary.md"
