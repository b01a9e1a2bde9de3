import numbers

import pytest

from nnbench.errors import NnbenchError
from nnbench.validation import Interval, Options, check_params, coerce_number, unknown_name_error


class CustomError(NnbenchError):
    pass


@pytest.mark.parametrize("interval, inside, outside", [
    (Interval(numbers.Real, 0, 1, closed="left"), [0, 0.5, 0.999], [1, -0.1, float("nan"), True, "x"]),
    (Interval(numbers.Real, 0, None, closed="neither"), [1e-12, 5], [0, -1, float("inf")]),
    (Interval(numbers.Integral, 1, None), [1, 2, 10.0], [0, 1.5, -3]),
    (Interval(numbers.Real, None, 2, closed="right"), [-5, 2], [2.1]),
])
def test_interval_membership(interval, inside, outside):
    for value in inside:
        assert value in interval
    for value in outside:
        assert value not in interval


def test_interval_describes_itself():
    assert Interval(numbers.Real, 0, 1, closed="left").describe() == "a finite number in [0, 1)"
    assert Interval(numbers.Real, 0, None, closed="neither").describe() == "a finite number > 0"
    assert Interval(numbers.Integral, 1, None).describe() == "a whole number >= 1"


def test_interval_check_converts_and_names_the_value():
    assert Interval(numbers.Integral, 1, None).check("batch_size", "1e3") == 1000
    assert isinstance(Interval(numbers.Real, 0, None).check("lr", 1), float)
    with pytest.raises(CustomError, match=r"^spec key 'dropout': 1\.5 is not allowed; expected a finite number in \[0, 1\)$"):
        Interval(numbers.Real, 0, 1, closed="left").check("spec key 'dropout'", 1.5, CustomError)
    with pytest.raises(NnbenchError, match="'abc' is not allowed"):
        Interval(numbers.Real, 0, 1).check("x", "abc")


def test_options_and_unknown_name_error():
    options = Options(("sgd", "adam"), what="optimizer")
    assert options.check("optimizer", "adam") == "adam"
    with pytest.raises(NnbenchError, match=r"^optimizer: unknown optimizer 'adma' \(did you mean 'adam'\?\); allowed: sgd, adam$"):
        options.check("optimizer", "adma")
    error = unknown_name_error("spec key", "lr", ["optimizer"], hint="optimizer.lr", error=CustomError)
    assert isinstance(error, CustomError)
    assert str(error) == "unknown spec key 'lr' (did you mean 'optimizer.lr'?); allowed: optimizer"


def test_check_params():
    constraints = {"lr": Interval(numbers.Real, 0, None, closed="neither")}
    assert check_params({"lr": "0.1"}, constraints) == {"lr": 0.1}
    with pytest.raises(NnbenchError, match="unknown hyperparameter 'rl'"):
        check_params({"rl": 0.1}, constraints, what="hyperparameter")
    with pytest.raises(NnbenchError, match=r"adam\.lr: -1 is not allowed"):
        check_params({"lr": -1}, constraints, where="adam")


def test_coerce_number_rejects_bools():
    with pytest.raises(NnbenchError):
        coerce_number("x", True)
    assert coerce_number("x", " 2 ") == 2


def test_unknown_name_error_with_advice_replaces_the_guess():
    error = unknown_name_error("key", "seed", ["seeds", "fixed"], where="study 'x'",
                               advice="list seeds under the study's `seeds:`")
    assert str(error) == ("study 'x': unknown key 'seed'; allowed: seeds, fixed; "
                          "list seeds under the study's `seeds:`")
