"""Progress on a terminal, nothing extra in cron, with --quiet or with --log-format json."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # full runs on a terminal and in cron

MALL = Path(__file__).resolve().parents[2] / "shared" / "data" / "Mall_Customers.csv"


def _in_terminal(args: list[str], cwd: Path) -> str:
    """Run the CLI with stderr on a pseudo-terminal, as a person would; return what it showed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", *args], stdout=subprocess.DEVNULL, stderr=follower, cwd=cwd)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=120)
    os.close(leader)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode(errors="replace")


def test_terminal_shows_progress(tmp_path: Path) -> None:
    shown = _in_terminal(["run", "--data", str(MALL), "--out", str(tmp_path / "out")], tmp_path)
    for words in ("Reading the customers", "Choosing the number of segments", "Drawing the charts", "Writing the PDF briefing"):
        assert words in shown


def test_quiet_and_json_and_cron_show_no_progress(tmp_path: Path) -> None:
    quiet = _in_terminal(["--quiet", "run", "--data", str(MALL), "--out", str(tmp_path / "a")], tmp_path)
    assert "Choosing the number of segments" not in quiet
    json_lines = _in_terminal(["--log-format", "json", "run", "--data", str(MALL), "--out", str(tmp_path / "b")], tmp_path)
    assert "Choosing the number of segments" not in json_lines
    assert all(line.strip().startswith("{") for line in json_lines.splitlines() if line.strip())
    cron = subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(MALL), "--out", str(tmp_path / "c")], capture_output=True, text=True, cwd=tmp_path)
    assert cron.returncode == 0 and cron.stderr == ""
