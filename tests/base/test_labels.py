"""The labelled vocabulary (nnbench.labels): a reader's word for every name, in each language."""

from __future__ import annotations

import pytest

from nnbench import labels, vocabulary
from nnbench.i18n import LANGUAGES, gettext, using_language


def test_every_label_table_covers_its_names():
    assert set(labels.OPTIMIZER_LABELS) == set(vocabulary.OPTIMIZERS)
    assert set(labels.ACTIVATION_LABELS) == set(vocabulary.ACTIVATIONS)
    assert set(labels.DATASET_LABELS) == set(vocabulary.DATASETS)
    assert set(labels.INIT_LABELS) == set(labels.INIT_SHORT_LABELS) == set(vocabulary.INITIALIZERS)
    assert set(labels.SPLIT_LABELS) == set(vocabulary.CURVE_SPLITS)
    assert set(vocabulary.CURVE_METRICS) <= set(labels.METRIC_LABELS)
    assert set(vocabulary.CONFIG_COLUMNS) <= set(labels.COLUMN_LABELS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_levels_are_told_apart_in_every_language(lang):
    assert labels.batchnorm_label(True, lang) != labels.batchnorm_label(False, lang)
    assert labels.init_label("0.01", lang) != labels.init_label("1", lang)
    assert "0.01" in labels.init_label(0.01, lang)
    short = [labels.init_label(name, lang, short=True) for name in vocabulary.INITIALIZERS]
    assert len(set(short)) == len(short)
    verdicts = [labels.verdict_label(v, lang) for v in labels.VERDICT_LABELS]
    assert len(set(verdicts)) == len(verdicts)


def test_english_labels():
    assert labels.batchnorm_label("false", "en") == "without BN"
    assert labels.init_label("0.010", "en") == "std 0.01"
    assert labels.init_label("he", "en") == "He √(2/n)" and labels.init_label("he", "en", short=True) == "He"
    assert labels.column_label("final_test_acc", "en") == "final test accuracy"
    assert labels.column_label("not_a_column", "en") == "not_a_column"
    assert labels.curve_label("train", "accuracy", "en") == "training accuracy"
    assert labels.optimizer_label("my_package.optim:Lion") == "Lion"
    assert labels.dataset_label(float("nan"), "en") == "no data"


def test_korean_labels_use_the_glossary():
    # GLOSSARY.ko.md: claim holds / does not hold / inconclusive / no data, batch norm, ...
    assert [labels.verdict_label(v, "ko") for v in ("holds", "does not hold", "inconclusive", None)] == [
        "성립", "성립하지 않음", "판단 보류", "데이터 없음"]
    assert labels.column_label("batchnorm", "ko") == "배치 정규화"
    assert labels.column_label("weight_decay", "ko") == "가중치 감소 λ"
    assert labels.column_label("lr", "ko") == "학습률"
    assert labels.curve_label("test", "accuracy", "ko") == "테스트 정확도"
    assert labels.init_label("0.01", "ko") == "표준편차 0.01"
    assert labels.optimizer_label("adam") == "Adam"  # method names stay English, as the deck writes them


def test_the_current_language_is_the_default():
    with using_language("ko"):
        assert labels.batchnorm_label(True) == "배치 정규화 사용"
        assert gettext("epoch") == "에폭"
    assert labels.batchnorm_label(True) == "with BN"
