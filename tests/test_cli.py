"""The command line as a user runs it: exit codes, messages, the period folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen import __version__
from reportgen.cli import cli

from .conftest import MALL, ROOT, assert_no_report


def _reportgen(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reportgen", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_help_and_version() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0 and "run" in result.output and "sample" in result.output
    assert runner.invoke(cli, ["--version"]).output.strip() == f"reportgen, version {__version__}"
    run_help = runner.invoke(cli, ["run", "--help"]).output
    for flag in ("--data", "--config", "--period", "--out", "--k", "--features"):
        assert flag in run_help


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"reportgen {name}" in readme
    for flag in ("--data", "--config", "--period", "--out", "--k", "--features", "--rows", "--seed"):
        assert flag in readme


def test_sample_command(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(cli, ["sample", "--rows", "120", "--seed", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 121


@pytest.mark.e2e
def test_run_from_another_folder_with_flags(tmp_path: Path) -> None:
    """A fresh process, started outside the repository, on the real mall data with k given."""
    result = _reportgen("run", "--data", str(MALL), "--period", "2026-10", "--out", "reports", "--k", "5", "--features", "income,spending", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "reports" / "2026-10"
    assert "5 segments" in result.stdout and str(Path("reports") / "2026-10") in result.stdout
    expected = {"briefing.pdf", "report.html", "report.eml", "segments.csv", "summary.json", "manifest.json", "charts", "audiences"}
    assert {p.name for p in folder.iterdir()} == expected
    rows = (folder / "segments.csv").read_text().splitlines()
    assert rows[0] == "customer_id,segment,cluster,age,income,spending,gender" and len(rows) == 201 and rows[1].startswith("0001,")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["input"]["sha256"] and manifest["versions"]["weasyprint"].startswith("70")
    assert set(manifest["timings_s"]) >= {"load", "cluster", "charts", "pdf", "email", "total"}
    hidden = [p.name for p in (tmp_path / "reports").iterdir() if p.name.startswith(".") and p.is_dir()]
    assert folder.is_symlink() and hidden == [os.readlink(folder)]  # only the complete version the folder points at


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = _reportgen("run", "--data", str(bad), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "bad.csv" in line]
    assert len(errors) == 1 and "no column for 'income'" in errors[0]
    assert_no_report(tmp_path / "out")


def test_bad_option_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--k", "many"])
    assert result.exit_code == 2 and "'many' is not 'auto'" in result.output
    result = CliRunner().invoke(cli, ["run", "--period", "2026-13", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is not a month like 2026-11" in result.output
