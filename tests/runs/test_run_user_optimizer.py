"""A user's own optimizer, named by import path, from the spec to the run record."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnbench.cli import main
from nnbench.spec import SpecError, resolve_spec, run_id

REPO = Path(__file__).resolve().parents[2]
LION = (REPO / "examples" / "my_optimizers" / "lion.py").read_text()
# A 12-line optimizer in the user's own package, without `defaults` or `ranges`.
SIGN_SGD = '''
import numpy as np


class SignSGD:
    """w <- w - lr * sign(g)"""

    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key, w in params.items():
            w -= (self.lr * np.sign(grads[key])).astype(w.dtype)
'''


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    """A user's folder with a package ``mine`` (``mine/optim.py``) as the current folder."""
    package = tmp_path / "mine"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "optim.py").write_text(SIGN_SGD + "\n" + LION)
    monkeypatch.chdir(tmp_path)
    for name in ("mine", "mine.optim"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield tmp_path
    for name in ("mine", "mine.optim"):
        sys.modules.pop(name, None)


def digits(optimizer):
    return {"dataset": "digits", "n_train": 200, "hidden_sizes": [16], "batch_size": 20, "iterations": 20,
            "eval_every": 10, "diagnostics": [], "optimizer": optimizer}


def test_resolved_like_a_builtin_with_its_file_hash(user_folder):
    resolved = resolve_spec(digits({"name": "mine.optim:Lion", "lr": "3e-4"}))
    digest = hashlib.sha256((user_folder / "mine" / "optim.py").read_bytes()).hexdigest()
    assert resolved["optimizer"] == {"name": "mine.optim:Lion", "beta1": 0.9, "beta2": 0.99, "lr": 0.0003,
                                     "weight_decay": 0.0, "source_sha256": digest}
    assert resolve_spec(resolved) == resolved  # idempotent: the hash is recomputed, not trusted
    # the signature's keyword defaults when the class declares no `defaults`
    assert resolve_spec(digits("mine.optim:SignSGD"))["optimizer"]["lr"] == 0.01


def test_editing_the_module_changes_the_run_id(user_folder):
    spec = digits({"name": "mine.optim:SignSGD", "lr": 0.05})
    before = run_id(resolve_spec(spec))
    assert run_id(resolve_spec(spec)) == before
    path = user_folder / "mine" / "optim.py"
    path.write_text(path.read_text() + "\n# tuned\n")
    assert run_id(resolve_spec(spec)) != before


@pytest.mark.parametrize("optimizer, parts", [
    ({"name": "mine.optim:SignSGD", "momentum": 0.9},
     ["spec key 'optimizer'", "unknown mine.optim:SignSGD hyperparameter 'momentum'", "allowed: lr"]),
    ({"name": "mine.optim:Lion", "beta1": 1.0}, ["spec key 'optimizer.beta1'", "1.0", "[0, 1)"]),
    ({"name": "mine.optim:SignSGD", "lr": "fast"}, ["spec key 'optimizer.lr'", "'fast'", "number"]),
    ({"name": "mine.optimizers:Lion"}, ["spec key 'optimizer.name'", "module 'mine.optimizers' does not import"]),
    ({"name": "mine.optim:Loin"}, ["unknown class in module 'mine.optim' 'Loin'", "did you mean 'Lion'",
                                   "allowed: Lion, SignSGD"]),
    ({"name": "mine.optim:np"}, ["unknown class", "'np'"]),
    ({"name": "json:JSONDecoder"}, ["class 'json:JSONDecoder' has no callable update(params, grads)"]),
    ({"name": "lion"}, ["unknown optimizer 'lion'", "an import path package.module:Class"]),
])
def test_bad_user_optimizers_fail_in_one_line_before_the_run(user_folder, optimizer, parts, capsys):
    spec_path = user_folder / "spec.json"
    spec_path.write_text(json.dumps(digits(optimizer)))
    assert main(["run", str(spec_path), "--out-dir", str(user_folder / "out"), "--quiet"]) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("nnbench: error: ") and "\n" not in message
    for part in parts:
        assert part in message
    assert not (user_folder / "out").exists()
    with pytest.raises(SpecError):
        resolve_spec(digits(optimizer))


def test_nnbench_run_records_the_optimizer_and_its_source(user_folder):
    spec_path = user_folder / "spec.yaml"
    spec_path.write_text("dataset: digits\nn_train: 200\nhidden_sizes: [16]\nbatch_size: 20\niterations: 30\n"
                         "eval_every: 10\ndiagnostics: []\noptimizer: {name: 'mine.optim:Lion', lr: 1e-3}\n")
    # the console script, as a user runs it: its sys.path does not hold the current folder
    out = user_folder / "run"
    script = Path(sys.executable).with_name("nnbench")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "nnbench"]
    done = subprocess.run(command + ["run", str(spec_path), "--out-dir", str(out), "--quiet"],
                          cwd=user_folder, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256((user_folder / "mine" / "optim.py").read_bytes()).hexdigest()
    spec = json.loads((out / "spec.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert spec["optimizer"]["source_sha256"] == digest
    assert summary["optimizer_source"] == {"class": "mine.optim:Lion", "module": "mine.optim",
                                           "file": "mine/optim.py", "sha256": digest}
    assert summary["status"] == "ok" and summary["final_test_acc"] > 0.2
    # the same spec again gives the same record (deterministic, as the built-ins)
    again = user_folder / "again"
    assert main(["run", str(spec_path), "--out-dir", str(again), "--quiet"]) == 0
    assert (again / "curves.csv").read_bytes() == (out / "curves.csv").read_bytes()
