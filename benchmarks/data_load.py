"""How long a fresh process takes to load a dataset from nnbench's verified cache.

Every workflow job pays this, so it should stay well under 0.5 s. Prints the time of
each load (a fresh interpreter each, as a job would be) and saves them to
benchmarks/out/data_load.json.

    python benchmarks/data_load.py [--data-dir ../shared/datasets] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

LOAD = (
    # the clock starts before the import: a job pays for importing nnbench.data too
    "import time; t = time.perf_counter(); from nnbench.data import load_dataset; "
    "d = load_dataset({name!r}, cache_dir={cache!r}, download=False); "
    "print(time.perf_counter() - t)"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and fashion-mnist/ (else NNBENCH_DATA)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        fetch = [sys.executable, "-m", "nnbench", "data", "fetch", "mnist", "fashion-mnist", "--cache-dir", cache]
        if args.data_dir:
            fetch += ["--data-dir", args.data_dir]
        subprocess.run(fetch, check=True)
        for name in ("mnist", "fashion-mnist"):
            times = [
                float(subprocess.check_output([sys.executable, "-c", LOAD.format(name=name, cache=cache)]))
                for _ in range(args.repeats)
            ]
            results[name] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
            print(f"{name:14s} load from cache: median {statistics.median(times):.3f} s "
                  f"(min {min(times):.3f}, max {max(times):.3f}, {args.repeats} fresh processes)")
    (out / "data_load.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
