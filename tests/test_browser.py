"""The run's browser session and PDF worker: which browser, images in order, stable SVGs, nothing left running."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest

from reportgen.errors import RenderError
from reportgen.render.browser import BROWSER_NICE, BrowserSession, Image, find_browser
from reportgen.render.chartfiles import export
from reportgen.render.chartkit import Chart
from reportgen.render.pdf import PdfWorker


def _fake(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_the_headless_shell_is_preferred_and_browser_path_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = _fake(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    assert find_browser() == str(chromium)
    shell = _fake(tmp_path, "chromium-headless-shell")
    assert find_browser() == str(shell)
    monkeypatch.setenv("BROWSER_PATH", "/opt/my/chrome")
    assert find_browser() == "/opt/my/chrome"  # even a wrong one: the user asked for it
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("BROWSER_PATH")
    assert find_browser() is None


def _figure(title: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], marker={"color": "#332288"}))
    fig.update_layout(title=title, width=400, height=300)
    return fig


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow  # boots Chromium and waits for it to stop
def test_session_exports_svg_then_png_and_stops_the_browser(tmp_path: Path) -> None:
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    session = BrowserSession(timeout=60).start()
    try:
        charts = [Chart("one", "One", "alt", _figure("One")), Chart("two", "Two", "alt", _figure("Two"))]
        files = export(session, charts, tmp_path / "charts")
        svgs = files.svgs()
        assert set(svgs) == {"one", "two"}
        assert all(p.read_text().startswith("<svg") for p in svgs.values())
        assert "<image" not in svgs["one"].read_text()  # vectors, no embedded raster
        pngs = files.pngs()
        assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs.values())
        assert set(session.timings) >= {"browser_start", "svg_export", "png_export"}
        # the same figure gives the same SVG bytes (plotly's random ids are fixed)
        again = export(session, charts[:1], tmp_path / "again").svgs()
        assert again["one"].read_bytes() == svgs["one"].read_bytes()
        process = session._instance.subprocess  # noqa: SLF001
        # Chromium yields the CPU to the analysis; the run itself keeps its priority
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == min(19, own + BROWSER_NICE)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own
    finally:
        session.close()
    session.close()  # twice is fine
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(process.pid), "Chromium outlived the session"


def test_a_missing_browser_is_a_clear_error(tmp_path: Path) -> None:
    session = BrowserSession(timeout=10, path=str(tmp_path / "no-chromium")).start()
    try:
        with pytest.raises(RenderError, match=r"could not be started.*chromium-headless-shell"):
            session.export([Image(_figure("x"), tmp_path / "x.svg", "svg", 400, 300)], "svg_export")
    finally:
        session.close()


def test_pdf_worker_renders_refuses_and_goes_away(tmp_path: Path) -> None:
    (tmp_path / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>')
    with PdfWorker() as worker:
        proc = worker._proc  # noqa: SLF001
        pending = worker.render('<p>Hello</p><img src="ok.svg"><img src="http://example.invalid/x.png">', tmp_path, tmp_path / "out.pdf")
        assert pending.wait() == ["http://example.invalid/x.png"]
    assert proc is not None and proc.wait(5) is not None
    text = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "Hello" in text


def test_pdf_worker_reads_the_charts_only_once_they_are_ready(tmp_path: Path) -> None:
    """The HTML goes to the worker at once; the chart file it shows is written by `ready` (as the
    SVG export does) and is still in the PDF. A `ready` that fails stops the worker and is raised."""
    def ready() -> None:
        time.sleep(0.5)  # the worker is parsing meanwhile
        (tmp_path / "late.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text x="0" y="8">Late</text></svg>')

    with PdfWorker() as worker:
        pending = worker.render('<p>Hello</p><img src="late.svg">', tmp_path, tmp_path / "out.pdf", ready=ready)
        assert pending.wait() == []
    text = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "Hello" in text and "Late" in text

    def fails() -> None:
        raise RenderError("Chart export did not finish.", "hint")

    with PdfWorker() as worker:
        proc = worker._proc  # noqa: SLF001
        pending = worker.render("<p>x</p>", tmp_path, tmp_path / "never.pdf", ready=fails)
        with pytest.raises(RenderError, match="Chart export"):
            pending.wait()
        assert proc is not None and proc.wait(5) is not None  # stopped at once, not at the end of the run
    assert not (tmp_path / "never.pdf").exists()


def test_pages_laid_out_before_the_charts_arrive_are_the_pages_laid_out_after(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With `late`, the worker lays out around blank stand-ins and draws the real charts in once
    `ready` has written them: the PDF is byte for byte the one rendered with every file present,
    and a chart that turns out to have another size is laid out again, not squeezed in."""
    from reportgen.render.pdf import render_pdf

    def chart(name: str, width: int, text: str) -> None:
        (tmp_path / name).write_text(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="100" viewBox="0 0 {width} 100">'
            f'<rect width="{width}" height="100" fill="#3366aa"/><text x="5" y="50">{text}</text></svg>'
        )

    html = "<h1>Brief</h1>" + "".join(f'<p>Page text {i}</p><img src="c{i}.svg" alt="c{i}">' for i in range(3)) + "<p>Closing words</p>"
    for i in range(3):
        chart(f"c{i}.svg", 200, f"Chart {i}")
    plain, _ = render_pdf(html, tmp_path)
    for i in range(3):
        (tmp_path / f"c{i}.svg").unlink()

    def ready() -> None:
        time.sleep(0.3)
        for i in range(3):
            chart(f"c{i}.svg", 200, f"Chart {i}")

    late = {f"c{i}.svg": (200, 100) for i in range(3)}
    with PdfWorker() as worker:
        assert worker.render(html, tmp_path, tmp_path / "late.pdf", ready=ready, late=late).wait() == []
    assert (tmp_path / "late.pdf").read_bytes() == plain
    with caplog.at_level("DEBUG", logger="reportgen"):
        assert render_pdf(html, tmp_path, gate=lambda: None, late=late)[0] == plain
    assert "laid out again" not in caplog.text  # the charts were drawn into the first layout

    chart("c1.svg", 400, "Chart 1")  # wider than announced
    wide, _ = render_pdf(html, tmp_path)
    with caplog.at_level("DEBUG", logger="reportgen"):
        relaid, _ = render_pdf(html, tmp_path, gate=lambda: None, late=late)
    assert relaid == wide and "laid out again" in caplog.text
    text = subprocess.run(["pdftotext", "-", "-"], input=relaid, capture_output=True, check=True).stdout.decode()
    assert all(f"Chart {i}" in text for i in range(3)) and "Closing words" in text


def test_pdf_worker_reports_a_broken_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with PdfWorker() as worker:
        worker._proc.kill()  # noqa: SLF001 - the renderer dies under us
        pending = worker.render("<p>x</p>", tmp_path, tmp_path / "out.pdf")
        with pytest.raises(RenderError, match="PDF"):
            pending.wait()
    assert not (tmp_path / "out.pdf").exists()


def test_svg_tidy_fixes_ids_and_merges_same_style_circles(tmp_path: Path) -> None:
    from reportgen.render.chartfiles import _tidy_svg

    point = '<path class="point" transform="translate({x},{y})" d="M3.5,0A3.5,3.5 0 1,1 0,-3.5A3.5,3.5 0 0,1 3.5,0Z" style="{style}"/>'
    same = "".join(point.format(x=10 + i, y=20.5, style="opacity: 0.75; fill: rgb(1, 2, 3);") for i in range(3))
    mixed = point.format(x=1, y=2, style="fill: red;") + point.format(x=3, y=4, style="fill: blue;")
    svg = (
        '<svg><defs id="defs-a1b2c3"><clipPath id="clipa1b2c3xyplot"/></defs>'
        f'<g class="trace scatter trace9f8e7d"><g class="points">{same}</g></g><g class="points">{mixed}</g>'
        '<text>code a1b2c3 stays</text><g clip-path="url(#clipa1b2c3xyplot)"/></svg>'
    )
    path = tmp_path / "c.svg"
    path.write_text(svg)
    _tidy_svg(path)
    out = path.read_text()
    assert 'id="defs-000000"' in out and "url(#clip000000xyplot)" in out and "a1b2c3 stays" in out
    assert 'class="trace scatter trace000000"' in out
    merged = out.split('<g class="points">')[1].split("</g>")[0]
    assert merged.count("<path") == 1 and merged.count("M") == 3 and "M13.50,20.50A3.5,3.5 0 1,1 10.00,17.00" in merged
    assert 'style="opacity: 0.75; fill: rgb(1, 2, 3);"' in merged
    assert out.split('<g class="points">')[2].count("<path") == 2  # different styles: left alone
    before = '<svg class="main-svg" width="8" height="4" style="" viewBox="0 0 8 4"><rect style=""/></svg>'
    after = '<svg class="main-svg" width="8" height="4" viewBox="0 0 8 4" style=""><rect style=""/></svg>'
    for variant in (before, after):  # Chromium writes the root's attributes in either order
        path.write_text(variant)
        _tidy_svg(path)
        assert path.read_text() == '<svg class="main-svg" width="8" height="4" viewBox="0 0 8 4"><rect style=""/></svg>'


def test_svg_tidy_draws_plain_circles_as_round_dots(tmp_path: Path) -> None:
    """plotly's filled circles without an outline become zero-length round-capped strokes (a disc
    of the same diameter, far cheaper for WeasyPrint); outlined markers keep their arcs."""
    from reportgen.render.chartfiles import _tidy_svg

    point = '<path class="point" transform="translate({x},{y})" d="M3.5,0A3.5,3.5 0 1,1 0,-3.5A3.5,3.5 0 0,1 3.5,0Z" style="{style}"/>'
    plain = "opacity: 0.75; stroke-width: 0px; fill: rgb(51, 34, 136); fill-opacity: 1;"
    outlined = "opacity: 1; stroke-width: 2px; fill: rgb(1, 2, 3); fill-opacity: 1; stroke: rgb(0, 0, 0); stroke-opacity: 1;"
    dots = "".join(point.format(x=10 + i, y=20.5, style=plain) for i in range(3))
    rings = "".join(point.format(x=10 + i, y=20.5, style=outlined) for i in range(2))
    path = tmp_path / "c.svg"
    path.write_text(f'<svg><g class="points">{dots}</g><g class="points">{rings}</g></svg>')
    _tidy_svg(path)
    out = path.read_text()
    first, second = out.split('<g class="points">')[1:3]
    assert 'd="M10.00,20.50l0,0M11.00,20.50l0,0M12.00,20.50l0,0"' in first
    assert "stroke: rgb(51, 34, 136); stroke-opacity: 1; stroke-width: 7px; stroke-linecap: round;" in first and "fill: none" in first
    assert second.count("<path") == 1 and "A3.5,3.5" in second and "stroke-width: 2px" in second
