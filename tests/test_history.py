"""Scheduled operation: the run history, job-runner logs, re-running a period."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen import history
from reportgen.cli import cli

from .conftest import MALL, ROOT

WORKTREE = {**os.environ, "PYTHONPATH": str(ROOT)}  # the subprocess imports this checkout's package, whatever the cwd


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_rerunning_a_period_replaces_only_that_period(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    for period in ("2026-01", "2026-02"):
        result = runner.invoke(cli, ["run", "--data", str(MALL), "--period", period, "--out", str(out)])
        assert result.exit_code == 0, result.output
    january = {p.name: p.stat().st_mtime_ns for p in (out / "2026-01").rglob("*")}
    first = (out / "2026-02" / "summary.json").read_bytes()
    assert runner.invoke(cli, ["run", "--data", str(MALL), "--period", "2026-02", "--out", str(out)]).exit_code == 0
    assert (out / "2026-02" / "summary.json").read_bytes() == first
    assert {p.name: p.stat().st_mtime_ns for p in (out / "2026-01").rglob("*")} == january


@pytest.mark.e2e
def test_json_logs_for_job_runners(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "--log-format", "json", "run", "--data", str(MALL), "--period", "2026-02", "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True, env=WORKTREE,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert {e["level"] for e in events} == {"info"}
    assert any(e["message"] == "cluster …" for e in events) and all("time" in e for e in events)
    failed = subprocess.run(
        [sys.executable, "-m", "reportgen", "--log-format", "json", "run", "--data", "missing.csv", "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True, env=WORKTREE,
    )
    assert failed.returncode == 2
    last = json.loads(failed.stderr.splitlines()[-1])
    assert last["level"] == "error" and last["exit_code"] == 2 and "missing.csv: file not found" in last["message"]


@pytest.mark.e2e
def test_no_progress_lines_when_not_at_a_terminal(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(MALL), "--out", "out"], cwd=tmp_path, capture_output=True, text=True, env=WORKTREE)
    assert result.returncode == 0 and result.stderr == ""


def test_damaged_history_lines_are_skipped_with_a_warning(tmp_path: Path, caplog) -> None:
    """A torn last line (a run killed mid-write) or a valid JSON line that is not a record."""
    history.append(tmp_path, {"period": "2026-10", "status": "ok", "segment_sizes": {"A": 3}})
    with (tmp_path / history.FILE).open("a") as fh:
        fh.write('[1, 2]\n"text"\n{"period": 7}\n{"period": "2026-11", "status": "ok", "segment_sizes": [1]}\n{"period": "2026-1')
    history.append(tmp_path, {"period": "2026-12", "status": "ok"})
    records = history.read(tmp_path)
    assert [r["period"] for r in records] == ["2026-10", "2026-11", "2026-12"]
    assert "skipped 4 damaged line(s)" in caplog.text and "history.jsonl" in caplog.text
    history.table(records)  # a record with odd field types still prints
    result = CliRunner().invoke(cli, ["history", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2026-12" in result.output


def test_history_and_summary_are_strict_json(tmp_path: Path) -> None:
    from reportgen.outputs import write_json

    history.append(tmp_path, {"period": "2026-11", "status": "ok", "seconds": float("nan"), "x": [float("inf")]})
    line = (tmp_path / history.FILE).read_text()
    assert "NaN" not in line and "Infinity" not in line
    json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    import numpy as np

    write_json({"silhouette": np.float64("nan"), "k": np.int64(3), "cuts": [np.inf, 1.5]}, tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text()) == {"silhouette": None, "k": 3, "cuts": [None, 1.5]}


def test_a_crash_is_recorded_and_logged_as_one_json_object(tmp_path: Path, monkeypatch) -> None:
    """A bug (exit 1) still leaves its line in history.jsonl; with --log-format json the traceback
    travels inside one JSON object, so a job runner's line-by-line reader never chokes."""
    from reportgen import pipeline

    def broken(settings, record, *rest):  # noqa: ANN001, ANN002, ANN202
        raise RuntimeError("a bug\nspanning lines")

    monkeypatch.setattr(pipeline, "_run", broken)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--log-format", "json", "run", "--data", str(MALL), "--period", "2026-03", "--out", str(out)])
    assert result.exit_code == 1, result.output
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[-1]["level"] == "critical" and events[-1]["exit_code"] == 1
    assert "RuntimeError: a bug" in events[-1]["traceback"]
    (record,) = history.read(out)
    assert record["period"] == "2026-03" and record["status"] == "crashed" and "RuntimeError" in record["error"]


@pytest.mark.e2e  # a whole report
def test_a_planted_symlink_is_never_written_through(tmp_path: Path) -> None:
    """OUT/history.jsonl replaced by a link to another file: the run's record is not appended to that
    file (the run warns), the file is untouched."""
    from click.testing import CliRunner

    from reportgen.cli import cli

    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / "history.jsonl").symlink_to(victim)
    result = CliRunner().invoke(cli, ["run", "--out", str(out), "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious\n" and (out / "history.jsonl").is_symlink()
    assert "is a symbolic link" in result.stderr


def test_a_planted_symlink_stops_a_send_before_mailing(tmp_path: Path) -> None:
    from reportgen.config import Smtp
    from reportgen.deliver import send
    from reportgen.errors import ConfigError

    folder = tmp_path / "out" / "2026-11"
    folder.mkdir(parents=True)
    (folder / "report.eml").write_bytes(b"Subject: x\n\nbody\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "out" / "deliveries.jsonl").symlink_to(victim)
    with pytest.raises(ConfigError, match="deliveries.jsonl is a symbolic link"):
        send(folder, "2026-11", ["a@shop.example"], "r@shop.example", Smtp(host="127.0.0.1", port=9), resend=False)
    assert victim.read_text() == "precious\n"


def test_history_json_never_prints_nan(tmp_path: Path) -> None:
    """A record with NaN or Infinity (written by another tool, or by hand) prints as strict JSON."""
    import json

    from click.testing import CliRunner

    from reportgen.cli import cli

    out = tmp_path / "out"
    out.mkdir()
    (out / "history.jsonl").write_text('{"period": "2026-10", "status": "ok", "seconds": NaN, "k": Infinity, "n_customers": -Infinity}\n')
    result = CliRunner().invoke(cli, ["history", "--out", str(out), "--json"])
    assert result.exit_code == 0 and "NaN" not in result.output and "Infinity" not in result.output
    record = json.loads(result.output, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert record["seconds"] is None and record["k"] is None and record["period"] == "2026-10"
