"""Nothing lost, nothing injected: killed and concurrent runs, a missing or hung browser, hostile text."""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportgen.bundled import bundled_path
from reportgen.sample import generate

from .conftest import MALL, assert_no_report

pytestmark = pytest.mark.e2e  # full runs killed, raced, hung or fed hostile text


def _start(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reportgen", "--debug", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 120) -> None:
    """Read the run's log until `marker` (a stage starting) appears."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    for line in proc.stderr:
        if marker in line:
            return
        assert time.monotonic() < deadline, f"no '{marker}' within {timeout} s"
    raise AssertionError(f"the run ended before '{marker}': {proc.stderr.read()[-3000:] if proc.stderr else ''}")


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _chromium_pids(mark: str) -> set[int]:
    """Browser and PDF-worker processes started by runs that carry `mark` in their environment (other
    test runs on the machine start their own Chromium, which must not count)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                if (b"chromium" in cmdline or b"reportgen.render.pdf" in cmdline) and f"REPORTGEN_TEST_MARK={mark}".encode() in (entry / "environ").read_bytes():
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.fixture(scope="module")
def earlier_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished report for 2026-11 that failed and killed runs must leave alone."""
    work = tmp_path_factory.mktemp("work")
    subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(MALL), "--period", "2026-11", "--out", "out"], cwd=work, check=True, capture_output=True)
    return work


@pytest.mark.parametrize("stage", ["load …", "cluster …", "charts …", "pdf …", "email …"])
def test_sigkill_leaves_the_earlier_report_intact(earlier_report: Path, stage: str) -> None:
    work = earlier_report
    folder = work / "out" / "2026-11"
    before = _tree_digest(folder)
    mark = f"{os.getpid()}-{time.time_ns()}"
    proc = _start("run", "--data", str(MALL), "--period", "2026-11", "--out", "out", "--k", "4", cwd=work, env={**os.environ, "REPORTGEN_TEST_MARK": mark})
    _wait_for(proc, f"reportgen: {stage}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert _tree_digest(folder) == before  # byte-identical, still the k=5 report
    folders = sorted(p.name for p in (work / "out").iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders == ["2026-11"]  # a half-written folder is hidden, never mistaken for a report
    deadline = time.monotonic() + 15
    while _chromium_pids(mark) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _chromium_pids(mark), "Chromium or the PDF worker outlived the killed run"
    # a re-run succeeds and clears what the killed run left
    rerun = subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(MALL), "--period", "2026-11", "--out", "out"], cwd=work, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    hidden = [p.name for p in (work / "out").iterdir() if p.is_dir() and p.name.startswith(".")]
    assert hidden == [os.readlink(folder)]  # only the version OUT/2026-11 points at
    assert _tree_digest(folder).keys() == before.keys()


@pytest.mark.parametrize("stage", ["rules …", "charts …", "email …"])
def test_sigterm_leaves_no_browser_or_pdf_worker(tmp_path: Path, stage: str) -> None:
    mark = f"{os.getpid()}-{time.time_ns()}"
    proc = _start("run", "--data", str(MALL), "--period", "2026-11", "--out", "out", cwd=tmp_path, env={**os.environ, "REPORTGEN_TEST_MARK": mark})
    _wait_for(proc, f"reportgen: {stage}")
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    deadline = time.monotonic() + 15
    while _chromium_pids(mark) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _chromium_pids(mark), "Chromium or the PDF worker outlived the terminated run"


def test_concurrent_run_of_the_same_period_is_refused(tmp_path: Path) -> None:
    """The first run takes the period's lock before it loads, so once it says 'cluster' it holds it;
    it is then stopped (SIGSTOP) until the second run has been refused, so however slowly the second
    starts on a loaded machine, the first cannot have finished meanwhile."""
    first = _start("run", "--data", str(MALL), "--period", "2026-05", "--out", "out", cwd=tmp_path)
    _wait_for(first, "reportgen: cluster …")
    first.send_signal(signal.SIGSTOP)
    try:
        second = subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(MALL), "--period", "2026-05", "--out", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 2, second.stderr
    assert "Another reportgen run is writing" in second.stderr and "Traceback" not in second.stderr
    _, log = first.communicate(timeout=300)  # read its log to the end: a full pipe would block it
    assert first.returncode == 0, log
    assert (tmp_path / "out" / "2026-05" / "briefing.pdf").exists()
    # another period is not blocked
    other = subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(MALL), "--period", "2026-06", "--out", "out"], cwd=tmp_path, capture_output=True, text=True)
    assert other.returncode == 0, other.stderr


def test_missing_chromium_is_explained(tmp_path: Path) -> None:
    env = {**os.environ, "BROWSER_PATH": str(tmp_path / "no-chromium")}
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--out", "out"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "reportgen: Chromium could not be started for chart export (ChromeNotFoundError). "
        "Install Chromium (Debian: sudo apt-get install --no-install-recommends chromium-headless-shell, or chromium) or set BROWSER_PATH."
    ]
    assert_no_report(tmp_path / "out")


def _marked_pids(mark: str) -> dict[int, str]:
    """Every process (pid -> command line) started with REPORTGEN_TEST_MARK=mark in its environment:
    this test's own run and what it started, whatever they exec into, and no one else's."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"REPORTGEN_TEST_MARK={mark}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
    return found


def test_hung_chromium_times_out_and_is_killed(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexec sleep 600\n")
    fake.chmod(0o755)
    (tmp_path / "c.yaml").write_text("charts: {timeout: 4}\n")
    mark = f"{os.getpid()}-{time.time_ns()}"
    env = {**os.environ, "BROWSER_PATH": str(fake), "REPORTGEN_TEST_MARK": mark}
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--config", "c.yaml", "--out", "out"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - start < 40
    assert result.returncode == 2
    assert "Chromium did not start within 4 s" in result.stderr and "Traceback" not in result.stderr
    leftover = _marked_pids(mark)  # the run has ended: anything still carrying its mark outlived it
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert not leftover, f"the hung browser process was left running: {leftover}"


HOSTILE_GENDER = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
HOSTILE_ID = '=HYPERLINK("http://x","y")'
HOSTILE_RULE = "<b onmouseover=alert(1)>VIP</b> & co"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("hostile")
    frame = generate(300, 11)
    frame["Gender"] = [HOSTILE_GENDER[i % 2] for i in range(len(frame))]
    frame.loc[0, "CustomerID"] = HOSTILE_ID
    frame.loc[1, "CustomerID"] = "+cmd|' /C calc'!A0"
    frame.loc[2, "CustomerID"] = "@SUM(1+1)"
    frame.to_csv(work / "customers.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    segments = bundled_path("rules", "mall", "segments.yaml").read_text().replace("name: Premium spenders", f"name: '{HOSTILE_RULE}'")
    campaigns = bundled_path("rules", "mall", "campaigns.yaml").read_text().replace("  Premium spenders:", f"  '{HOSTILE_RULE}':")
    campaigns = campaigns.replace("offer: Early access to new collections", "offer: <a href='javascript:alert(1)'>Early access</a> to new collections")
    (work / "segments.yaml").write_text(segments)
    (work / "campaigns.yaml").write_text(campaigns)
    (work / "reportgen.yaml").write_text(
        "segments_rules: segments.yaml\ncampaigns_rules: campaigns.yaml\n"
        "report: {organisation: \"</style><style>body{display:none}</style>\", title: \"Q<script>x()</script>\"}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "run", "--config", "reportgen.yaml", "--data", "customers.csv", "--period", "2026-11", "--out", "out"],
        cwd=work, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return work / "out" / "2026-11"


def _email_html(folder: Path) -> str:
    msg = email.message_from_bytes((folder / "report.eml").read_bytes(), policy=email.policy.default)
    return msg.get_body(("html",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize("document", ["report.html", "report.eml"])
def test_hostile_text_is_never_live_html(hostile_run: Path, document: str) -> None:
    html = (hostile_run / "report.html").read_text() if document == "report.html" else _email_html(hostile_run)
    if document == "report.html":  # the page's live charts: plotly.js and one plotly call per chart
        from .test_render import without_our_scripts

        assert "alert(1)</script" not in html and "x()</script" not in html
        html = without_our_scripts(html)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "onerror=" not in lowered.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "<img src=x" not in lowered
    assert "<b onmouseover" not in lowered and "javascript:" not in lowered.replace("&lt;a href='javascript:alert(1)'&gt;", "").replace("&lt;a href=&#39;javascript:alert(1)&#39;&gt;", "")
    assert "</style><style>" not in lowered
    # and the text is still there for the reader, escaped
    assert "&lt;b onmouseover=alert(1)&gt;VIP&lt;/b&gt; &amp; co" in html
    assert "&lt;/style&gt;&lt;style&gt;" in html
    if document == "report.html":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # gender mix on the segment pages


def test_hostile_text_in_the_pdf_is_plain_text(hostile_run: Path) -> None:
    text = subprocess.run(["pdftotext", str(hostile_run / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert HOSTILE_RULE in flat
    assert "<script>alert(1)</script>" in flat


def test_csv_neutralises_formulas(hostile_run: Path) -> None:
    with (hostile_run / "segments.csv").open(newline="") as fh:
        rows = {r["customer_id"]: r for r in csv.DictReader(fh)}
    assert "'" + HOSTILE_ID in rows and HOSTILE_ID not in rows
    assert "'+cmd|' /C calc'!A0" in rows and "'@SUM(1+1)" in rows
    assert any(r["segment"] == HOSTILE_RULE for r in rows.values())  # '<' is not a formula start


def test_segment_without_campaign_is_reported(tmp_path: Path) -> None:
    campaigns = bundled_path("rules", "mall", "campaigns.yaml").read_text()
    start = campaigns.index("  Budget-conscious:")
    end = campaigns.index("  Keen spenders:")
    (tmp_path / "campaigns.yaml").write_text(campaigns[:start] + campaigns[end:])
    (tmp_path / "reportgen.yaml").write_text("campaigns_rules: campaigns.yaml\n")
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--config", "reportgen.yaml", "--data", str(MALL), "--out", "out"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "No campaign is defined for segment 'Budget-conscious'" in result.stderr
    folder = next(p for p in (tmp_path / "out").iterdir() if p.is_dir() and not p.name.startswith("."))
    text = subprocess.run(["pdftotext", str(folder / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "No campaign is defined for this segment" in " ".join(text.split())
    assert "No campaign defined" in _email_html(folder)
