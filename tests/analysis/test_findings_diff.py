"""``nnbench findings-diff A B``: one line per claim and dataset whose verdict differs,
exit 0 / 1, and exit 2 with one line naming the bad file and column."""

from __future__ import annotations

import pytest

import analysis_synthetic as synthetic
from nnbench.analysis.findings import evaluate_claims, verdict_differences
from nnbench.cli import main


@pytest.fixture(scope="module")
def findings_table():
    return evaluate_claims(synthetic.tables(1))


def _write(table, path):
    table.to_csv(path, index=False)
    return str(path)


def test_equal_tables_print_nothing_and_exit_0(findings_table, tmp_path, capsys):
    a = _write(findings_table, tmp_path / "a.csv")
    b = _write(findings_table, tmp_path / "b.csv")
    assert main(["findings-diff", a, b]) == 0
    assert capsys.readouterr().out == ""


def test_a_flipped_verdict_is_one_line_and_exit_1(findings_table, tmp_path, capsys):
    other = findings_table.copy()
    row = (other["claim_id"] == "sgd_slowest") & (other["dataset"] == "mnist")
    other.loc[row, ["verdict", "estimate", "p_adjusted"]] = ["inconclusive", 0.0628, 0.07]
    # a moved estimate with the same verdict is not a difference
    other.loc[(other["claim_id"] == "he_beats_xavier") & (other["dataset"] == "mnist"),
              "estimate"] += 0.01
    a = _write(findings_table, tmp_path / "a.csv")
    b = _write(other, tmp_path / "b.csv")
    assert main(["findings-diff", a, b]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("sgd_slowest mnist: holds -> inconclusive (estimate 0.05 -> "
                               "0.0628, adjusted p ")
    assert lines[0].endswith("-> 0.07)")


def test_a_row_only_one_table_has_is_a_difference(findings_table):
    shorter = findings_table[findings_table["claim_id"] != "bn_learns_faster"]
    lines = verdict_differences(findings_table.astype(str), shorter.astype(str))
    assert len(lines) == 3  # mnist, fashion-mnist and all
    assert all(line.startswith("bn_learns_faster ") and "-> (absent)" in line for line in lines)


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.drop(columns=["verdict"]), "has no column 'verdict'; it needs claim_id, dataset, verdict"),
    (lambda t: t.drop(columns=["claim_id"]), "has no column 'claim_id'"),
    (lambda t: t.assign(verdict=t["verdict"].replace("holds", "hold")), "row 2: verdict 'hold' is not one of"),
    (lambda t: t.iloc[[0, 0]], "appears twice"),
])
def test_a_bad_table_is_one_line_naming_the_file_and_exit_2(findings_table, tmp_path, capsys,
                                                            damage, message):
    good = _write(findings_table, tmp_path / "good.csv")
    bad = _write(damage(findings_table), tmp_path / "bad.csv")
    assert main(["findings-diff", good, bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "bad.csv" in captured.err and message in captured.err


def test_a_missing_or_empty_file_exits_2(findings_table, tmp_path, capsys):
    good = _write(findings_table, tmp_path / "good.csv")
    assert main(["findings-diff", str(tmp_path / "nowhere.csv"), good]) == 2
    assert "nowhere.csv' does not exist" in capsys.readouterr().err
    (tmp_path / "empty.csv").write_text("")
    assert main(["findings-diff", good, str(tmp_path / "empty.csv")]) == 2
    err = capsys.readouterr().err
    assert "empty.csv' is not a readable CSV file" in err and err.count("\n") == 1
