"""The worked examples of a user's own optimizer (examples/my_optimizers) against their
papers' rules, written out independently here, and building a class by import path."""

import numpy as np
import pytest

from nnbench.core import make_optimizer
from nnbench.core.optimizers import load_optimizer_class, optimizer_hyperparameters, source_file_sha256
from nnbench.errors import NnbenchError

from test_core_optimizers import GRADIENTS, START, assert_histories_equal, reference, run_optimizer

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def in_repository(monkeypatch):
    # import paths are looked up from the current folder, as in `nnbench run` and the workflow
    monkeypatch.chdir(REPO)


def test_adamw_is_loshchilov_hutter_algorithm_2():
    lr, beta1, beta2, eps, decay = 0.01, 0.8, 0.95, 1e-6, 0.1

    def rule(w, g, state, t):
        # Algorithm 2 (schedule multiplier 1): the decay term is outside the adaptive step
        state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
        state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * g**2
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        return w - (lr * m_hat / (np.sqrt(v_hat) + eps) + decay * w)

    ours = run_optimizer("examples.my_optimizers:AdamW", lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=decay)
    assert_histories_equal(ours, reference(rule, {}))
    # first step by hand: m_hat = g, v_hat = g^2, so w - lr * sign(g) (eps aside) - decay * w
    np.testing.assert_allclose(ours[0], START - lr * np.sign(GRADIENTS[0]) - decay * START, rtol=1e-3)


def test_adamw_without_decay_is_adam():
    assert_histories_equal(run_optimizer("examples.my_optimizers:AdamW", lr=0.01, weight_decay=0.0),
                           run_optimizer("adam", lr=0.01))


def test_lion_is_chen_et_al_algorithm_1():
    lr, beta1, beta2, decay = 0.05, 0.9, 0.99, 0.2

    def rule(w, g, state, t):
        m = state.get("m", np.zeros_like(w))
        c = beta1 * m + (1 - beta1) * g
        state["m"] = beta2 * m + (1 - beta2) * g
        return w - lr * (np.sign(c) + decay * w)

    ours = run_optimizer("examples.my_optimizers:Lion", lr=lr, beta1=beta1, beta2=beta2, weight_decay=decay)
    assert_histories_equal(ours, reference(rule, {}))
    # without decay every coordinate moves by exactly lr per step
    plain = run_optimizer("examples.my_optimizers:Lion", lr=lr)
    np.testing.assert_allclose(np.abs(plain[0] - START), lr, rtol=1e-12)


@pytest.mark.parametrize("name", ["examples.my_optimizers:AdamW", "examples.my_optimizers:Lion"])
def test_examples_update_float32_in_place(name):
    optimizer = make_optimizer(name)
    w = np.ones(4, dtype=np.float32)
    params = {"w": w}
    optimizer.update(params, {"w": np.full(4, 0.5, dtype=np.float32)})
    assert params["w"] is w and w.dtype == np.float32 and np.all(w < 1)


def test_hyperparameters_from_the_signature_or_the_declared_defaults():
    adamw = load_optimizer_class("examples.my_optimizers:AdamW")
    defaults, ranges = optimizer_hyperparameters(adamw)
    assert defaults == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-4}
    assert 1.5 in ranges["beta1"]  # no ranges declared: any finite number
    lion = load_optimizer_class("examples.my_optimizers:Lion")
    defaults, ranges = optimizer_hyperparameters(lion)
    assert defaults == lion.defaults and 1.5 not in ranges["beta1"]


def test_source_hash_is_the_defining_module_file():
    import hashlib

    module, path, digest = source_file_sha256(load_optimizer_class("examples.my_optimizers:Lion"))
    assert module == "examples.my_optimizers.lion"
    assert digest == hashlib.sha256((REPO / "examples/my_optimizers/lion.py").read_bytes()).hexdigest()


class NoUpdate:
    def __init__(self, lr=0.1):
        self.lr = lr


class RequiredArgument:
    def __init__(self, lr):
        self.lr = lr

    def update(self, params, grads):
        pass


@pytest.mark.parametrize("path, message", [
    ("no_such_package.optim:Lion", r"^optimizer: module 'no_such_package.optim' does not import \(ModuleNotFoundError"),
    ("examples.my_optimizers:Loin", r"^optimizer: unknown class in module 'examples.my_optimizers' 'Loin' "
                                    r"\(did you mean 'Lion'\?\); allowed: AdamW, Lion$"),
    ("tests.core.test_core_user_optimizers:NoUpdate", r"has no callable update\(params, grads\)"),
])
def test_bad_import_paths_say_what_is_wrong_in_one_line(path, message):
    with pytest.raises(NnbenchError, match=message) as caught:
        make_optimizer(path)
    assert "\n" not in str(caught.value)


def test_a_hyperparameter_without_default_is_refused():
    with pytest.raises(NnbenchError, match=r"__init__ parameter 'lr' of RequiredArgument has no default"):
        optimizer_hyperparameters(RequiredArgument)
