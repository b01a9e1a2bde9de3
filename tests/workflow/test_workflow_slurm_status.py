"""workflow/rules/slurm_status.smk: the SLURM plugin sees a job cancelled with scancel
("CANCELLED by <uid>" in sacct) as CANCELLED, so it reports it failed (and the profile's
retries resubmit it) instead of waiting for it forever. The cluster test
(tests/cluster/test_cluster_slurm.py) cancels a real job; this one needs no cluster."""

from __future__ import annotations

import asyncio
import logging
import shlex
from pathlib import Path

import pytest

plugin = pytest.importorskip("snakemake_executor_plugin_slurm")

SMK = Path(__file__).resolve().parents[2] / "workflow" / "rules" / "slurm_status.smk"
SACCT_LINES = "101|CANCELLED by 0\n102|COMPLETED\n103|RUNNING\n104|CANCELLED\n105|FAILED\n"


def load_smk() -> None:
    exec(compile(SMK.read_text(), str(SMK), "exec"), {"__name__": "slurm_status_smk"})


def test_cancelled_by_a_user_reaches_the_plugin_as_cancelled(monkeypatch):
    monkeypatch.setattr(plugin, "query_job_status", plugin.query_job_status)  # restored afterwards
    original = plugin.query_job_status
    command = shlex.join(["printf", SACCT_LINES])
    unwrapped, _ = asyncio.run(original(command, logging.getLogger("test")))
    assert unwrapped["101"] == "CANCELLED by 0"  # what the plugin alone would compare with "CANCELLED"

    load_smk()
    states, seconds = asyncio.run(plugin.query_job_status(command, logging.getLogger("test")))
    assert states == {"101": "CANCELLED", "102": "COMPLETED", "103": "RUNNING", "104": "CANCELLED", "105": "FAILED"}
    assert seconds >= 0

    wrapped = plugin.query_job_status
    load_smk()  # Snakemake parses the Snakefile again in job steps: wrapped once only
    assert plugin.query_job_status is wrapped


def test_a_failed_status_query_stays_failed(monkeypatch):
    monkeypatch.setattr(plugin, "query_job_status", plugin.query_job_status)
    load_smk()
    assert asyncio.run(plugin.query_job_status("false", logging.getLogger("test"))) == (None, None)
