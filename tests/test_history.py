"""Scheduled operation: the run history, job-runner logs, re-running a period."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reportgen import history
from reportgen.cli import cli

from .conftest import MALL


def test_history_records_good_and_failed_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", "--data", str(MALL), "--period", "2026-03", "--out", str(out)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert runner.invoke(cli, ["run", "--data", str(bad), "--period", "2026-04", "--out", str(out)]).exit_code == 2
    records = history.read(out)
    assert [(r["period"], r["status"]) for r in records] == [("2026-03", "ok"), ("2026-04", "failed")]
    good, failed = records
    assert good["k"] == 5 and good["n_customers"] == 200 and len(good["input_sha256"]) == 64 and len(good["settings_sha256"]) == 64
    assert good["segment_sizes"]["Mainstream shoppers"] == 81 and good["timings"]["total"] > 0
    assert "no column for 'income'" in failed["error"]
    table = runner.invoke(cli, ["history", "--out", str(out)])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split()[:3] == ["period", "status", "finished"]
    assert lines[2].startswith("2026-03") and "Mainstream shoppers 81" in lines[2]
    assert lines[3].startswith("2026-04") and "failed" in lines[3]
    as_json = runner.invoke(cli, ["history", "--out", str(out), "--json"]).output.splitlines()
    assert json.loads(as_json[0])["period"] == "2026-03"


def test_rerunning_a_period_replaces_only_that_period(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    for period in ("2026-01", "2026-02"):
        assert runner.invoke(cli, ["run", "--data", str(MALL), "--period", period, "--out", str(out)]).exit_code == 0
    january = {p.name: p.stat().st_mtime_ns for p in (out / "2026-01").rglob("*")}
    first = (out / "2026-02" / "summary.json").read_bytes()
    assert runner.invoke(cli, ["run", "--data", str(MALL), "--period", "2026-02", "--out", str(out)]).exit_code == 0
    assert (out / "2026-02" / "summary.json").read_bytes() == first
    assert {p.name: p.stat().st_mtime_ns for p in (out / "2026-01").rglob("*")} == january


def test_json_logs_for_job_runners(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "--log-format", "json", "run", "--data", str(MALL), "--period", "2026-02", "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert {e["level"] for e in events} == {"info"}
    assert any(e["message"] == "cluster …" for e in events) and all("time" in e for e in events)
    failed = subprocess.run(
        [sys.executable, "-m", "reportgen", "--log-format", "json", "run", "--data", "missing.csv", "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert failed.returncode == 2
    last = json.loads(failed.stderr.splitlines()[-1])
    assert last["level"] == "error" and last["exit_code"] == 2 and "missing.csv: file not found" in last["message"]


def test_no_progress_lines_when_not_at_a_terminal(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(MALL), "--out", "out"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
