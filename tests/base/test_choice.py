import pytest

from nnbench.choice import ChoiceError, GroupChoice, TunedChoice, choice_path


def _choice():
    return TunedChoice(key="optimizer.lr", metric="final_validation_acc", goal="max",
                       group_keys=["dataset", "optimizer.name"],
                       choices=[GroupChoice({"dataset": "mnist", "optimizer.name": "sgd"}, 0.1, 0.9, 2),
                                GroupChoice({"dataset": "mnist", "optimizer.name": "adam"}, 0.001, 0.95, 2),
                                GroupChoice({"dataset": "digits", "optimizer.name": "sgd"}, 0.3, 0.8, 2)])


def test_round_trip(tmp_path):
    path = _choice().write(choice_path(tmp_path, "optimizers_tuned"))
    assert path == tmp_path / "optimizers_tuned" / "choice.json"
    assert TunedChoice.read(path) == _choice()


def test_lookups():
    choice = _choice()
    assert choice.value_for({"dataset": "digits", "optimizer.name": "sgd", "seed": 3}) == 0.3
    with pytest.raises(KeyError):
        choice.value_for({"dataset": "digits", "optimizer.name": "adam"})
    assert choice.values_by("optimizer.name", dataset="mnist") == {"sgd": 0.1, "adam": 0.001}


def test_bad_files(tmp_path):
    with pytest.raises(ChoiceError, match="does not exist"):
        TunedChoice.read(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"key": "x"}')
    with pytest.raises(ChoiceError, match="is not a tuned choice"):
        TunedChoice.read(bad)
