"""The Korean report of the synthetic study speaks Korean in its long prose: the figure
captions, the findings' metric and note texts (from ``tables/findings.ko.json``, since
findings.csv stays English) and the citation's sentence."""

from __future__ import annotations

import json

import pandas as pd
from markupsafe import escape

from nnbench.analysis.findings import ALL_DATASETS
from nnbench.figures.findings import READER_TEXTS_KEY, TABLE_NAME

#: (English sentence start, its Korean) of captions the synthetic study draws.
CAPTIONS = (
    ("Minibatch training loss vs iteration, ", "반복에 따른 미니배치 학습 손실, "),
    ("Paths of the optimizers on f(x, y)", "위에서 ("),
    ("Activation histograms per layer (30 bins", "층별 활성화값 히스토그램 (구간 30개"),
    ("Minibatch training loss vs iteration per initial weight scale", "가중치 초기값의 크기(표준편차 0.01"),
    ("random minibatches of each size N around the loss", "전체 학습 데이터의 손실 주위에 퍼진 정도"),
    ("Mean final test accuracy per optimizer x initializer", "optimizer × 초기값별 평균 최종 테스트 정확도"),
    ("Main effect of each factor on the final test accuracy", "각 요인이 최종 테스트 정확도에 미치는 주효과"),
    ("[software]. Figures generated", "[소프트웨어]. 그림 생성일"),
)


def test_korean_captions_and_citation_have_no_english_sentence(rendered):
    english, korean = rendered["html"], rendered["korean_html"]
    for source, translated in CAPTIONS:
        assert str(escape(source)) in english, source  # the English report has it: the check can fail
        assert str(escape(source)) not in korean, source
        assert str(escape(translated)) in korean, translated


def _reader_texts(rendered):
    entry = next(table for table in rendered["korean_manifest"]["tables"] if table["name"] == TABLE_NAME)
    return json.loads((rendered["reports"] / entry[READER_TEXTS_KEY]).read_text(encoding="utf-8"))


def test_korean_findings_overview_shows_the_korean_notes(rendered):
    texts = _reader_texts(rendered)
    assert texts["lang"] == "ko"
    english = pd.read_csv(rendered["reports"] / "tables" / f"{TABLE_NAME}.csv", dtype=str, keep_default_na=False)
    korean_notes = [row["note"] for row in texts["rows"] if row["note"] and row["dataset"] != ALL_DATASETS]
    assert korean_notes, "the synthetic study has notes"
    assert len(texts["rows"]) == len(english)
    overview = rendered["korean_html"].split('id="findings-overview"')[-1] \
        if 'id="findings-overview"' in rendered["korean_html"] else rendered["korean_html"]
    for note in korean_notes:
        assert str(escape(note)) in overview, note
    # the notes are Korean sentences, not the CSV's English
    changed = [(en, ko) for en, ko in zip(english["note"], (row["note"] or "" for row in texts["rows"]))
               if en and en != ko]
    assert changed
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in ko) for _en, ko in changed)


def test_korean_deck_inputs_carry_the_korean_metric_and_note(rendered):
    from nnbench.slides import read_inputs

    texts = {(row["claim_id"], row["dataset"] or ""): row for row in _reader_texts(rendered)["rows"]}
    findings = read_inputs(rendered["results"], rendered["reports"], "ko").findings
    for _index, row in findings.iterrows():
        dataset = "" if pd.isna(row["dataset"]) else str(row["dataset"])
        expected = texts[(row["claim_id"], dataset)]
        for column in ("metric", "note"):
            value = None if pd.isna(row[column]) else row[column]
            assert value == expected[column], (row["claim_id"], column)
