"""Records of two codes compared byte for byte: a speed-up must not move a single bit.

    NNBENCH_DATA=/path/to/datasets python benchmarks/records_identity.py --quick --full-picks
    python benchmarks/records_identity.py --base main --head eff --quick

Clones this repository twice into a scratch folder, at ``--base`` (default ``main``) and at
``--head`` (default ``HEAD``; committed code only), and trains with each:

- ``--quick``: the whole quick config, ``snakemake --cores 2 --configfile config/quick.yaml``
  in each clone (every run kind, optimizer, BN, dropout, weight decay, the tuned study);
- ``--full-picks``: the representative runs of ``run_efficiency.py`` (one or two cheap
  specs per study of config/config.yaml, MNIST, seed 0), ``nnbench run`` with each code.

Each clone's own ``nnbench`` runs (first on ``PYTHONPATH``, started from the clone). Runs
are matched by their spec without ``run_id`` (the run id names the numerics sources, so it
differs between codes); every record file is compared byte for byte, except that in
``summary.json`` the code identity, the run id and the timings are left out and in
``spec.json`` the run id. Prints the counts, saves ``benchmarks/out/records_identity.json``
and exits 1 when any record differs or is missing on one side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

#: summary.json fields that name the code or measure time: allowed to differ
IGNORED_SUMMARY = ("run_id", "code", "wall_seconds", "train_seconds", "samples_per_second")


def clone(ref: str, into: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(REPO), str(into)], check=True)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", ref], check=True, capture_output=True,
                            text=True).stdout.strip()
    subprocess.run(["git", "-C", str(into), "checkout", "--quiet", commit], check=True)
    return into


def code_env(code: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(code) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def imported_from(code: Path) -> Path:
    result = subprocess.run([sys.executable, "-c", "import nnbench; print(nnbench.__file__)"], env=code_env(code),
                            cwd=code, check=True, capture_output=True, text=True)
    return Path(result.stdout.strip()).resolve().parent.parent


def run_quick(code: Path) -> Path:
    """The quick config's records, trained by ``code``'s workflow; their folder."""
    command = [str(Path(sys.executable).with_name("snakemake")), "--cores", "2", "--configfile", "config/quick.yaml"]
    result = subprocess.run(command, cwd=code, env=code_env(code), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"quick config failed in {code}:\n{result.stderr[-3000:]}")
    return code / "results" / "runs"


def run_picks(code: Path, into: Path) -> Path:
    from run_efficiency import chosen_specs

    for index, (_, _, spec) in enumerate(chosen_specs(None)):
        spec_file = into / f"spec{index}.json"
        spec_file.write_text(json.dumps(spec))
        subprocess.run([sys.executable, "-m", "nnbench", "run", str(spec_file), "--out-dir", str(into / f"run{index}"),
                        "--quiet"], cwd=code, env=code_env(code), check=True)
    return into


def records(folder: Path) -> dict[str, Path]:
    """Spec (canonical JSON without run_id) -> record folder, for every record under ``folder``."""
    found = {}
    for summary in sorted(folder.glob("*/summary.json")):
        spec = json.loads((summary.parent / "spec.json").read_text())
        spec.pop("run_id", None)
        found[json.dumps(spec, sort_keys=True)] = summary.parent
    return found


def same_record(a: Path, b: Path) -> list[str]:
    """The files of two records that differ (or exist in one only)."""
    differing = []
    names = sorted({path.name for path in a.iterdir()} | {path.name for path in b.iterdir()})
    for name in names:
        if not (a / name).is_file() or not (b / name).is_file():
            differing.append(name)
            continue
        if name in ("summary.json", "spec.json"):
            left, right = json.loads((a / name).read_text()), json.loads((b / name).read_text())
            for key in IGNORED_SUMMARY if name == "summary.json" else ("run_id",):
                left.pop(key, None)
                right.pop(key, None)
            equal = json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)
        else:
            equal = (a / name).read_bytes() == (b / name).read_bytes()
        if not equal:
            differing.append(name)
    return differing


def compare(base: Path, head: Path) -> dict:
    left, right = records(base), records(head)
    result = {"records_base": len(left), "records_head": len(right), "compared": 0, "files": 0, "differing": [],
              "missing": sorted(set(left) ^ set(right))}
    for key in sorted(set(left) & set(right)):
        result["compared"] += 1
        result["files"] += len(list(left[key].iterdir()))
        bad = same_record(left[key], right[key])
        if bad:
            result["differing"].append({"spec": json.loads(key), "files": bad})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git ref of the reference code (default main)")
    parser.add_argument("--head", default="HEAD", help="git ref of the code under test (default HEAD)")
    parser.add_argument("--quick", action="store_true", help="compare the quick config's records")
    parser.add_argument("--full-picks", action="store_true", help="compare run_efficiency.py's picks of the full study")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    if not (args.quick or args.full_picks):
        parser.error("give --quick, --full-picks or both")
    if "NNBENCH_DATA" not in os.environ and args.full_picks:
        parser.error("--full-picks needs NNBENCH_DATA (the MNIST files)")
    with tempfile.TemporaryDirectory() as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        codes = {side: clone(ref, work / side) for side, ref in (("base", args.base), ("head", args.head))}
        for side, code in codes.items():
            if imported_from(code) != code.resolve():
                raise SystemExit(f"the {side} clone does not import its own nnbench ({imported_from(code)})")
        outcome = {"base": args.base, "head": args.head}
        if args.quick:
            outcome["quick"] = compare(*(run_quick(code) for code in codes.values()))
        if args.full_picks:
            folders = []
            for side, code in codes.items():
                (work / f"picks-{side}").mkdir(exist_ok=True)
                folders.append(run_picks(code, work / f"picks-{side}"))
            outcome["full_picks"] = compare(*folders)
    bad = False
    for name in ("quick", "full_picks"):
        if name in outcome:
            part = outcome[name]
            print(f"{name}: {part['compared']} records compared ({part['files']} files): "
                  f"{len(part['differing'])} differ, {len(part['missing'])} on one side only")
            bad |= bool(part["differing"] or part["missing"])
            for entry in part["differing"][:10]:
                print(f"  differs: {entry['files']} of {entry['spec']}")
    out = REPO / "benchmarks" / "out" / "records_identity.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(outcome, indent=2) + "\n")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
