"""Spec resolution: defaults, canonical form and a run_id that only depends on meaning."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from nnbench.spec import SPEC_KEYS, SpecError, read_spec, resolve_spec, run_id


def test_defaults_are_filled_in_and_keys_sorted():
    resolved = resolve_spec({"dataset": "digits"})
    assert list(resolved) == sorted(resolved)
    assert resolved["kind"] == "train"
    assert resolved["hidden_sizes"] == [100, 100, 100, 100]
    assert resolved["activation"] == "relu" and resolved["init"] == "he"
    # the optimizer's every hyperparameter is spelled out with the core's defaults
    assert resolved["optimizer"] == {"name": "sgd", "lr": 0.01}
    assert resolve_spec({"dataset": "digits", "optimizer": "adam"})["optimizer"] == {
        "name": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert resolved["iterations"] == 2000 and resolved["epochs"] is None and resolved["eval_every"] == 100
    epochs = resolve_spec({"dataset": "digits", "epochs": 5})
    assert epochs["iterations"] is None and epochs["eval_every"] == 1
    assert set(resolved) <= set(SPEC_KEYS)


def test_resolving_is_idempotent_and_json_round_trips():
    resolved = resolve_spec({"dataset": "mnist", "init": "constant", "optimizer": "rmsprop",
                             "diagnostics": ["minibatch_spread", "grad_norms"]})
    assert resolve_spec(resolved) == resolved
    assert resolve_spec(json.loads(json.dumps(resolved))) == resolved
    assert resolved["init_value"] == 0.01  # the core's default constant, spelled out
    assert resolved["diagnostics"] == ["grad_norms", "minibatch_spread"]


def test_numbers_are_canonical():
    resolved = resolve_spec({"dataset": "digits", "optimizer": {"name": "sgd", "lr": "1e-2"}, "weight_decay": 0,
                             "batch_size": 1e2, "hidden_sizes": ["50", 50.0], "init": "0.01"})
    assert resolved["optimizer"]["lr"] == 0.01 and isinstance(resolved["optimizer"]["lr"], float)
    assert isinstance(resolved["weight_decay"], float)
    assert resolved["batch_size"] == 100 and isinstance(resolved["batch_size"], int)
    assert resolved["hidden_sizes"] == [50, 50] and all(type(size) is int for size in resolved["hidden_sizes"])
    assert resolved["init"] == 0.01


def test_run_id_ignores_key_order_spelled_out_defaults_and_number_spelling():
    short = {"dataset": "digits", "optimizer": {"name": "momentum", "lr": 0.1}}
    reordered = {"optimizer": {"lr": 1e-1, "name": "momentum"}, "dataset": "digits"}
    spelled_out = {**resolve_spec(short)}
    spelled_out["optimizer"] = {"name": "momentum", "lr": "0.1", "momentum": 0.9}
    spelled_out["weight_decay"] = 0
    identifiers = {run_id(resolve_spec(spec)) for spec in (short, reordered, spelled_out)}
    assert len(identifiers) == 1
    assert re.fullmatch(r"[0-9a-f]{12}", identifiers.pop())


def test_run_id_changes_with_anything_that_changes_the_run():
    base = resolve_spec({"dataset": "digits"})
    others = [{"seed": 1}, {"dataset": "mnist"}, {"optimizer": {"name": "sgd", "lr": 0.02}},
              {"hidden_sizes": [100, 100, 100]}, {"dropout": 0.2}, {"diagnostics": []}]
    identifiers = {run_id(base)} | {run_id(resolve_spec({**base, **change})) for change in others}
    assert len(identifiers) == 1 + len(others)


def test_run_id_is_stable_across_processes():
    """No dependence on hash randomisation or dict order in another interpreter."""
    spec = {"dataset": "fashion-mnist", "optimizer": "adam", "init": 0.01, "seed": 3}
    here = run_id(resolve_spec(spec))
    code = ("import json,sys; from nnbench.spec import resolve_spec, run_id; "
            "print(run_id(resolve_spec(json.loads(sys.argv[1]))))")
    there = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout.strip()
    assert there == here


def test_data_free_kinds_have_their_own_defaults():
    path = resolve_spec({"kind": "optimizer_path"})
    assert path == {"kind": "optimizer_path", "iterations": 30, "optimizer": {"name": "sgd", "lr": 0.95},
                    "start": [-7.0, 2.0]}
    # the book's learning rates for the path figure, unless the spec gives one
    assert resolve_spec({"kind": "optimizer_path", "optimizer": "adagrad"})["optimizer"]["lr"] == 1.5
    assert resolve_spec({"kind": "optimizer_path", "optimizer": {"name": "adam", "lr": 0.1}})["optimizer"]["lr"] == 0.1
    histogram = resolve_spec({"kind": "activation_histogram", "activation": "tanh", "init": "xavier"})
    assert histogram["hidden_sizes"] == [100] * 5 and histogram["n_samples"] == 1000 and histogram["bins"] == 30


def test_yaml_numeric_strings_are_numbers(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("dataset: digits\noptimizer: {name: adam, lr: 1e-4, eps: 1e-8}\nweight_decay: 1e-3\n")
    spec = read_spec(path)
    assert spec["optimizer"]["lr"] == "1e-4"  # what YAML 1.1 gives
    resolved = resolve_spec(spec)
    assert resolved["optimizer"]["lr"] == 1e-4 and resolved["weight_decay"] == 1e-3


def test_spec_error_is_a_value_error_naming_the_key():
    with pytest.raises(SpecError, match="'batchsize'.*did you mean 'batch_size'") as caught:
        resolve_spec({"dataset": "digits", "batchsize": 10})
    assert isinstance(caught.value, ValueError)


def test_every_core_name_resolves():
    """The spec checks names against the vocabulary; every name the core implements is accepted."""
    from nnbench.core import ACTIVATIONS, INITIALIZERS, OPTIMIZERS

    for name in OPTIMIZERS:
        assert resolve_spec({"dataset": "digits", "optimizer": name})["optimizer"]["name"] == name
    for name in ACTIVATIONS:
        assert resolve_spec({"dataset": "digits", "activation": name})["activation"] == name
    for name in INITIALIZERS:
        assert resolve_spec({"dataset": "digits", "init": name})["init"] == name


def test_a_key_that_lives_in_the_optimizer_is_hinted_in_spec_form():
    with pytest.raises(SpecError, match=r"unknown spec key 'lr' \(did you mean 'optimizer: \{name: \.\.\., lr: \.\.\.\}'\?\)"):
        resolve_spec({"dataset": "digits", "lr": 0.1})
    with pytest.raises(SpecError, match=r"unknown spec key 'lambda' \(did you mean 'weight_decay'\?\)"):
        resolve_spec({"dataset": "digits", "lambda": 0.1})


def test_the_registry_has_every_kind_and_estimates_its_runtime():
    from nnbench import vocabulary
    from nnbench.runkinds import RUN_KINDS
    from nnbench.workload import estimate_minutes

    assert tuple(RUN_KINDS) == vocabulary.RUN_KINDS
    for name, kind in RUN_KINDS.items():
        assert kind.defaults["kind"] == name
    small = resolve_spec({"dataset": "digits", "iterations": 100})
    big = resolve_spec({"dataset": "mnist", "epochs": 300, "hidden_sizes": [1000]})
    assert 5 <= estimate_minutes(small) < estimate_minutes(big)
    assert estimate_minutes(resolve_spec({"kind": "optimizer_path"})) == 5


def test_optimizer_ranges_are_checked_from_the_classes_intervals():
    from nnbench.core import OPTIMIZERS
    from nnbench.validation import Interval

    assert all(isinstance(interval, Interval) for cls in OPTIMIZERS.values() for interval in cls.ranges.values())
    with pytest.raises(SpecError, match=r"spec key 'optimizer.beta2': 1.0 is not allowed; expected a finite number in \[0, 1\)"):
        resolve_spec({"dataset": "digits", "optimizer": {"name": "adam", "beta2": 1.0}})


def test_the_train_kinds_parameter_table_and_the_networks_constructor_check_the_same_intervals():
    """One declaration per allowed range (nnbench.validation): the kind checks a spec once
    at resolve time, the network's constructor (which users call directly) from the same objects."""
    from nnbench.core.layers import BatchNorm, Dropout
    from nnbench.core.network import CONSTRAINTS
    from nnbench.runkinds import train

    for key in ("dropout", "weight_decay", "batchnorm_eps", "seed"):
        assert train.PARAMETERS[key] is CONSTRAINTS[key], key
    assert train.PARAMETERS["batch_size"] is CONSTRAINTS["size"]
    assert set(train.PARAMETERS) | {"validation", "hidden_sizes", "init", "init_value", "batchnorm", "optimizer",
                                    "epochs", "iterations", "eval_every", "diagnostics"} == set(train.DEFAULTS) - {"kind"}
    with pytest.raises(SpecError, match=r"spec key 'dropout': 1 is not allowed; expected a finite number in \[0, 1\)"):
        resolve_spec({"dataset": "digits", "dropout": 1})
    with pytest.raises(ValueError, match=r"dropout rate: 1.0 is not allowed; expected a finite number in \[0, 1\)"):
        Dropout(1.0, None)
    with pytest.raises(ValueError, match=r"BatchNorm eps: 0 is not allowed; expected a finite number > 0"):
        BatchNorm({}, "g", "b", eps=0)


def test_the_config_schema_allows_what_the_train_kinds_parameter_table_allows():
    """The schema (a YAML file, so a copy) checks a config's spec values before any spec is
    resolved; its bounds and choices are tied here to the kind's table."""
    import numbers

    from nnbench.config import load_schema
    from nnbench.runkinds import train
    from nnbench.validation import Interval, Options

    schema = load_schema()
    fixed = schema["$defs"]["fixed"]["properties"]

    def definition(key):
        node = fixed[key]
        return schema["$defs"]["value"][node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node

    for key, allowed in train.PARAMETERS.items():
        node = definition(key)
        if isinstance(allowed, Options):
            assert set(node["enum"]) == set(allowed.values), key
            continue
        assert isinstance(allowed, Interval)
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        assert ("integer" in types) == (allowed.kind is numbers.Integral), key
        assert ("null" in types) == (key in train.OPTIONAL), key
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        assert (low, high) == (allowed.low, allowed.high), key
        assert ("exclusiveMinimum" not in node) == allowed.low_inclusive or low is None, key
        assert ("exclusiveMaximum" not in node) == allowed.high_inclusive or high is None, key
