"""Smoke test of benchmarks/core_throughput.py: it runs and writes its three files.

Only that it works; the speed itself is measured by running the script, never in tests.
"""

import csv
import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "core_throughput.py"


def test_benchmark_script_writes_table_json_and_chart(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("core_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "torch_version", lambda: None)  # keep the test fast and torch-free
    monkeypatch.setitem(module.NETWORKS, "wide", ([784, 50, 10], 32, 0.8))  # a small stand-in
    arguments = ["--quick", "--repeats", "1", "--blas-kernel", "current", "--lockstep", "2", "--out", str(tmp_path)]
    assert module.main(arguments) == 0
    with open(tmp_path / "core_throughput.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["network"] for row in rows] == ["book", "wide"]
    assert all(row["implementation"] == "nnbench" and float(row["samples_per_second"]) > 0 for row in rows)
    report = json.loads((tmp_path / "core_throughput.json").read_text())
    assert report["environments"][0]["threads"] == 1 and report["environments"][0]["torch"] is None
    assert all(row["numpy_blas_kernel"] for row in rows)
    assert all(float(row["gemm_gflops"]) > 0 and 0 < float(row["floor"]) for row in rows)
    lockstep = report["lockstep"]
    assert [row["mode"] for row in lockstep] == ["sequential", "lockstep"]
    assert all(row["bit_identical"] is True and row["samples_per_second"] > 0 for row in lockstep)
    assert (tmp_path / "core_throughput.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "samples/s" in printed and "floor" in printed and "bit-identical weights: yes" in printed
