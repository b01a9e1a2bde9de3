"""The command line's surface: one meaning per option name, examples in every help, the
internal command kept out of the listing, the old spellings still working with a warning."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from nnbench.cli import build_parser, main
from nnbench.commands import report as report_command

QUICK = Path(__file__).resolve().parents[1] / "config" / "quick.yaml"


def subcommand_parsers(parser=None, prefix="nnbench"):
    """Every (sub)command's parser, by its full command line, e.g. 'nnbench data fetch'."""
    parser = parser or build_parser()
    found = {prefix: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(subcommand_parsers(child, f"{prefix} {name}"))
    return found


def test_every_command_shows_an_example_of_itself():
    parsers = subcommand_parsers()
    assert {"nnbench run", "nnbench grid", "nnbench data fetch", "nnbench run-group"} <= set(parsers)
    for command, parser in parsers.items():
        text = parser.format_help()
        examples = text.split("examples:\n", 1)[1] if "examples:\n" in text else ""
        assert any(line.strip().startswith(command) for line in examples.splitlines()), command


def test_out_dir_is_a_folder_and_out_a_file_in_every_command():
    for command, parser in subcommand_parsers().items():
        options = {option: action for action in parser._actions for option in action.option_strings}
        if "--out-dir" in options:
            assert options["--out-dir"].metavar == "DIR", command
        if "--out" in options and options["--out"].help != argparse.SUPPRESS:
            assert options["--out"].metavar in ("FILE", "HTML", "ARCHIVE"), command
        if "--config" in options:
            assert options["--config"].metavar == "CONFIG", command


def test_run_group_runs_but_is_not_listed(capsys):
    listing = build_parser().format_help()
    assert "run-group" not in listing and "SUPPRESS" not in listing
    with pytest.raises(SystemExit):
        main(["run-group", "--help"])
    assert "Internal command of the workflow" in " ".join(capsys.readouterr().out.split())


def test_old_spellings_still_work_with_one_warning_line(tmp_path, capsys):
    assert main(["grid", str(QUICK), "--study", "batch_size", "--count"]) == 0
    captured = capsys.readouterr()
    assert "batch_size" in captured.out
    assert captured.err.strip() == ("nnbench: warning: `nnbench grid CONFIG` is deprecated; "
                                    "use nnbench grid --config CONFIG")
    assert main(["grid", str(QUICK), "--config", str(QUICK)]) == 2
    assert main(["grid"]) == 2
    assert "--config CONFIG is required" in capsys.readouterr().err

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"dataset": "digits", "n_train": 50, "hidden_sizes": [4], "batch_size": 10,
                                "iterations": 2, "eval_every": 1}))
    assert main(["run", str(spec), "--out", str(tmp_path / "old"), "--quiet"]) == 0
    assert (tmp_path / "old" / "summary.json").is_file()
    assert capsys.readouterr().err.strip() == ("nnbench: warning: `nnbench run --out` is deprecated; "
                                               "use --out-dir DIR")
    assert main(["run", str(spec), "--quiet"]) == 2
    assert "--out-dir DIR is required" in capsys.readouterr().err


def test_report_defaults_to_the_config_the_workflow_wrote(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert report_command.default_config() == "config/config.yaml"
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "config.json").write_text("{}")
    assert report_command.default_config() == "resources/config.json"
