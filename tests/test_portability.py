"""nnbench without the POSIX-only modules: what a Windows user's Python lacks.

A subprocess makes ``fcntl`` and ``resource`` unimportable (a meta-path finder that refuses
them, as on Windows), then imports every module of the package, fetches a dataset from a
folder into the cache and trains one tiny run from it through the command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
POSIX_ONLY = ("fcntl", "resource")

# Makes the modules named in argv[1] (comma-separated) unimportable, as on Windows.
BLOCKER = textwrap.dedent("""
    import importlib.abc, sys

    BLOCKED = set(sys.argv[1].split(","))

    class RefusePosixOnly(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    assert not BLOCKED & set(sys.modules), "already imported at start-up"
    sys.meta_path.insert(0, RefusePosixOnly())
""")

SCRIPT = BLOCKER + textwrap.dedent("""
    import importlib, json, pkgutil, warnings

    import nnbench
    # nnbench.__main__ is `python -m nnbench`: importing it runs the command line
    modules = [info.name for info in pkgutil.walk_packages(nnbench.__path__, "nnbench.")
               if info.name != "nnbench.__main__"]
    with warnings.catch_warnings():
        # filelock says it falls back to its portable lock when fcntl is missing
        warnings.simplefilter("ignore")
        for name in modules:
            importlib.import_module(name)

    sys.path.insert(0, sys.argv[2])  # tests/data: the tiny IDX files of the data tests
    from data_helpers import make_tiny
    from nnbench.data import registry
    from nnbench.cli import main

    tiny = make_tiny("mnist", 0, mirrors=("http://127.0.0.1:9/",))  # a download would fail fast
    registry.REGISTRY["mnist"] = tiny.spec
    tiny.write(__import__("pathlib").Path(sys.argv[3]) / "mnist")
    fetched = main(["data", "fetch", "mnist", "--data-dir", sys.argv[3], "--cache-dir", sys.argv[4]])
    spec = {"dataset": "mnist", "n_train": 20, "validation": 4, "hidden_sizes": [8],
            "optimizer": {"name": "sgd", "lr": 0.1}, "batch_size": 10, "iterations": 6,
            "eval_every": 3, "seed": 0}
    with open(sys.argv[5], "w") as out:
        json.dump(spec, out)
    ran = main(["run", sys.argv[5], "--out-dir", sys.argv[6], "--cache-dir", sys.argv[4], "--quiet"])
    print(json.dumps({"modules": len(modules), "fetch": fetched, "run": ran,
                      "loaded": sorted(BLOCKED & set(sys.modules))}))
""")


def test_every_module_imports_and_a_fetch_and_a_run_work_without_fcntl_and_resource(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NNBENCH_")}
    environment["HOME"] = str(tmp_path / "home")  # nothing from the real cache
    run_dir = tmp_path / "runs" / "one"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(POSIX_ONLY), str(REPO / "tests" / "data"), str(tmp_path / "source"),
         str(tmp_path / "cache"), str(tmp_path / "spec.json"), str(run_dir)],
        capture_output=True, text=True, env=environment, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = __import__("json").loads(result.stdout.strip().splitlines()[-1])
    assert outcome["modules"] > 50  # the whole package, not an empty walk
    assert outcome == {"modules": outcome["modules"], "fetch": 0, "run": 0, "loaded": []}
    assert (tmp_path / "cache" / "mnist").is_dir()
    assert {"spec.json", "curves.csv", "summary.json"} <= {path.name for path in run_dir.iterdir()}


@pytest.mark.parametrize("module", POSIX_ONLY)
def test_the_blocker_really_blocks(module):
    # the test above is only worth something if the finder makes these imports fail
    result = subprocess.run([sys.executable, "-c", BLOCKER + f"import {module}\n", ",".join(POSIX_ONLY)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and f"No module named '{module}'" in result.stderr
