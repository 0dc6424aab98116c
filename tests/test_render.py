"""What a reader sees: the PDF's text and pages, the email's MIME structure, the HTML pages."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reportgen.model import Report
from reportgen.render.fmt import PALETTE
from reportgen.render.pdf import write_pdf

NAMES = ["Premium spenders", "Cautious affluent", "Mainstream shoppers", "Aspiring spenders", "Budget-conscious"]


def _pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order, white space folded (table cells wrap over lines)."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def _coloured_share(img: Image.Image) -> float:
    """Share of pixels that are clearly coloured (not white, grey or black)."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
    return float(((rgb.max(axis=2) - rgb.min(axis=2)) > 40).mean())


def _message(folder: Path) -> EmailMessage:
    return email.message_from_bytes((folder / "report.eml").read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def test_pdf_text_has_every_segment_and_its_campaigns(mall_folder: Path, mall_summary: dict[str, Any]) -> None:
    flat = _pdf_text(mall_folder / "briefing.pdf")
    for seg in mall_summary["segments"]:
        assert seg["name"] in flat
        assert seg["campaigns"], seg["name"]
        for campaign in seg["campaigns"]:
            assert campaign["name"] in flat
            assert campaign["kpi"] in flat
    assert "We analysed 200 customers for November 2026 and found 5 segments" in flat
    assert "Page 2 of" in flat and "Appendix: method and data quality" in flat
    assert "Silhouette" in flat and "0.55" in flat
    for cid in ("0001", "0199"):  # aggregates only: no customer ids in the briefing
        assert not re.search(rf"\b{cid}\b", flat)


def test_pdf_pages_show_charts(mall_folder: Path, tmp_path: Path) -> None:
    subprocess.run(["pdftocairo", "-png", "-r", "40", str(mall_folder / "briefing.pdf"), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 9  # cover, summary, overview pages, 5 segments, appendix
    overview = Image.open(pages[2])  # the income/spending map and the sizes chart
    assert _coloured_share(overview) > 0.03
    # the scatter has points of all five segment colours
    colours = {tuple(c) for c in np.asarray(overview.convert("RGB")).reshape(-1, 3)[::7]}
    palette = {tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in PALETTE[:5]}
    assert len(palette & colours) >= 4
    # each segment page opens with a band in its colour
    for page in pages:
        text = subprocess.run(["pdftotext", "-f", page.stem.split("-")[1], "-l", page.stem.split("-")[1], str(mall_folder / "briefing.pdf"), "-"], capture_output=True, text=True).stdout
        if "Recommended campaigns" in text:
            band = Image.open(page).crop((0, 0, Image.open(page).width, 80))
            assert _coloured_share(band) > 0.05, page.name


def test_chart_images_exist_with_size(mall_folder: Path) -> None:
    charts = {p.stem: Image.open(p).size for p in (mall_folder / "charts").glob("*.png")}
    assert set(charts) == {"map", "sizes", "profile", "spread", "mix", "k_selection"}
    assert {p.stem for p in (mall_folder / "charts").glob("*.svg")} == set(charts)  # the PDF's vector versions
    for key, (width, height) in charts.items():  # each as tall as its content needs, at twice the SVG's size
        svg = (mall_folder / "charts" / f"{key}.svg").read_text()
        size = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg)
        assert size and (width, height) == (2 * int(size.group(1)), 2 * int(size.group(2))) and width == 1600, key
        assert 200 <= height / 2 <= 1100, key


def test_pdf_charts_are_vectors(mall_folder: Path) -> None:
    """The briefing embeds the charts as SVG: no raster image anywhere in the PDF."""
    listing = subprocess.run(["pdfimages", "-list", str(mall_folder / "briefing.pdf")], capture_output=True, text=True, check=True).stdout
    assert len(listing.strip().splitlines()) == 2, listing  # the two header lines, no image rows
    assert (mall_folder / "briefing.pdf").stat().st_size < 400_000


def test_email_structure(mall_folder: Path) -> None:
    msg = _message(mall_folder)
    assert msg.get_content_type() == "multipart/mixed"
    assert msg["Subject"] == "Customer segments briefing — November 2026"
    alternative, attachment = msg.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    text, related = alternative.get_payload()
    assert text.get_content_type() == "text/plain" and "Premium spenders" in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    assert len(html.encode()) < 100_000
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    parts = {img["Content-ID"].strip("<>"): img for img in images}
    assert cids and cids == set(parts)
    for img in images:
        assert img.get_content_type() == "image/png"
        assert img.get_content_disposition() == "inline"
        assert img.get_content().startswith(b"\x89PNG")
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "briefing.pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_email_html_is_mail_safe(mall_folder: Path) -> None:
    html = _message(mall_folder).get_body(("html",)).get_content()  # type: ignore[union-attr]
    lowered = html.lower()
    assert "<script" not in lowered and "<style" not in lowered  # CSS is inline
    assert "http://" not in lowered and "https://" not in lowered and "data:" not in lowered
    assert 'width="600"' in html and "style=" in html
    for img in re.findall(r"<img[^>]+>", html):  # each chart at 560 px wide, as tall as its own shape
        cid = re.search(r'src="cid:([^@"]+)@', img)
        assert cid and 'alt="' in img and 'width="560"' in img
        png = Image.open(mall_folder / "charts" / f"{cid.group(1)}.png")
        assert f'height="{round(560 * png.height / png.width)}"' in img
    for name in NAMES:
        assert name in html
    for cid in ("0001", "0199"):
        assert not re.search(rf"\b{cid}\b", html)


def test_email_html_shows_charts_in_chromium(mall_folder: Path, tmp_path: Path) -> None:
    """Open the email's HTML in headless Chromium (cid: images saved beside it) and look."""
    msg = _message(mall_folder)
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for part in msg.walk():
        if part.get_content_type() == "image/png":
            name = part["Content-ID"].strip("<>").replace("@", "_") + ".png"
            (tmp_path / name).write_bytes(part.get_content())
            html = html.replace(f"cid:{part['Content-ID'].strip('<>')}", name)
    page = tmp_path / "email.html"
    page.write_text(html)
    shot = tmp_path / "shot.png"
    chromium = shutil.which("chromium-headless-shell") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is installed by scripts/setup.sh"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-background-networking",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=640,4200", page.as_uri()],
        check=True, capture_output=True, timeout=60,
    )
    chart_band = Image.open(shot).crop((20, 900, 620, 4000))  # below the header and segment rows: the charts
    assert _coloured_share(chart_band) > 0.01


def without_our_scripts(html: str) -> str:
    """The page minus the scripts reportgen writes: plotly.js and one plotly call per chart."""
    html = re.sub(r'<script id="plotly-js">.*?</script>', "", html, flags=re.S)
    return re.sub(r"<script>\s*window\.PLOTLYENV.*?</script>", "", html, flags=re.S)


def test_standalone_page_opens_offline(mall_folder: Path, tmp_path: Path) -> None:
    html = (mall_folder / "report.html").read_text()
    assert "<script" not in without_our_scripts(html).lower()
    assert html.count("<script") == 1 + 6  # plotly.js inside the file, one call per chart
    page = without_our_scripts(html).lower()  # plotly.js itself mentions URLs in its code; it fetches none here
    assert not re.search(r"(src|href)=\"(https?:|//|file:)", page)
    assert "cdn.plot.ly" not in page
    # a real browser with no network draws every chart (plotly's three SVG layers per chart)
    chromium = shutil.which("chromium") or shutil.which("chromium-headless-shell")
    assert chromium
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000", "--dump-dom", (mall_folder / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout
    assert dom.count('class="main-svg"') >= 3 * 6
    for name in NAMES:
        assert name in html


def test_pdf_fetcher_refuses_remote_and_outside_files(tmp_path: Path) -> None:
    inside = tmp_path / "run"
    inside.mkdir()
    (inside / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>')
    secret = tmp_path / "secret.txt"
    secret.write_text("do not embed")
    html = (
        '<img src="ok.svg"><img src="http://example.invalid/x.png"><img src="file:///etc/passwd">'
        f'<img src="../secret.txt"><link rel="attachment" href="{secret.as_uri()}">'
    )
    refused = write_pdf(html, inside, inside / "out.pdf")
    assert set(refused) == {"http://example.invalid/x.png", "file:///etc/passwd", secret.as_uri()}
    assert b"do not embed" not in (inside / "out.pdf").read_bytes()


def test_summary_matches_report(mall_run: Report, mall_summary: dict[str, Any]) -> None:
    assert mall_summary["n_customers"] == 200 and mall_summary["n_dropped"] == 0
    assert [s["size"] for s in mall_summary["segments"]] == list(mall_run.clustering.sizes)
    assert mall_summary["largest_segment"] == 0
    assert mall_summary["segments"][mall_summary["most_valuable_segment"]]["name"] == "Premium spenders"


def test_pdf_states_how_sure_it_is(mall_folder: Path) -> None:
    text = " ".join(subprocess.run(["pdftotext", str(mall_folder / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split())
    summary = json.loads((mall_folder / "summary.json").read_text())
    level = summary["confidence"]["level"]
    assert level in ("strong", "moderate") and f"How sure we are: {'Confident.' if level == 'strong' else 'Fairly sure.'}" in text
    assert text.count("How sure we are:") == 1 and f"({level} confidence)" in text  # said once; the appendix gives the figures
    assert all(0.9 <= s["stability"] <= 1 for s in summary["segments"])
    assert "stability" in text and "Gaussian mixture" in text and "Ward hierarchical" in text
    assert {a["method"] for a in summary["alternatives"]} == {"Gaussian mixture", "Ward hierarchical"}


def test_pdf_is_tagged_for_screen_readers(mall_folder: Path) -> None:
    info = subprocess.run(["pdfinfo", str(mall_folder / "briefing.pdf")], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M) and re.search(r"^Title:\s+Customer segments briefing", info, re.M)
    meta = subprocess.run(["pdfinfo", "-meta", str(mall_folder / "briefing.pdf")], capture_output=True, text=True, check=True).stdout
    assert 'pdfuaid:part="1"' in meta


def test_rerun_gives_identical_charts_and_pdf(mall_folder: Path, tmp_path: Path) -> None:
    """SVGs (plotly's random ids fixed), PNGs and the PDF are the same bytes for the same inputs."""
    from reportgen.pipeline import run

    from .conftest import MALL, settings

    again = run(settings(data=MALL, features=["income", "spending"], period="2026-11", out=tmp_path))
    assert again.folder is not None
    names = sorted(p.relative_to(mall_folder).as_posix() for p in (mall_folder / "charts").iterdir())
    assert len(names) == 12
    for name in [*names, "briefing.pdf"]:
        assert (again.folder / name).read_bytes() == (mall_folder / name).read_bytes(), name


def test_an_unstable_segment_is_called_so_in_a_sentence(mall_run: Report) -> None:
    """Stability is judged as printed (0.7499 reads 0.75: stable) and the warning reads as a sentence."""
    from dataclasses import replace

    from reportgen.bundled import bundled_path
    from reportgen.render import view
    from reportgen.render.html import environment

    assert mall_run.trust is not None
    shaky = replace(mall_run, trust=replace(mall_run.trust, stability=(0.6, 0.7499, 0.3, 0.9, 0.9)))
    segments = view.build(shaky)["segments"]
    assert [s["unstable"] for s in segments[:3]] == [True, False, True]
    assert [s["stability_verdict"] for s in segments[:3]] == ["is unstable", "is stable", "dissolves when resampled"]
    html = environment(bundled_path("templates")).get_template("_summary.html.j2").render(**view.build(shaky))
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())  # tags add no space of their own
    assert "Tentative (stability 0.60): test first." in text


def test_the_stable_threshold_in_the_words_is_the_analysis_one(mall_run: Report) -> None:
    """The segment page and the appendix state the threshold the analysis judged with (model.STABLE)."""
    from dataclasses import replace

    from reportgen.bundled import bundled_path
    from reportgen.model import STABLE
    from reportgen.render import view
    from reportgen.render.html import environment

    assert mall_run.trust is not None
    shaky = view.build(replace(mall_run, trust=replace(mall_run.trust, stability=(0.6, 0.9, 0.9, 0.9, 0.9))))
    env = environment(bundled_path("templates"))
    page = " ".join(re.sub(r"<[^>]+>", "", env.get_template("_segment.html.j2").render(**shaky, s=shaky["segments"][0])).split())
    assert f"resampled (0.60 of 1; reliable from {STABLE:.2f})" in page
    appendix = " ".join(re.sub(r"<[^>]+>", "", env.get_template("_appendix.html.j2").render(**shaky, appendix_charts=[])).split())
    assert f"{STABLE:.2f} and up is reliable" in appendix
    assert f"0 to 1; {STABLE:.2f} and up" in appendix


def test_the_palette_has_a_colour_for_every_segment_the_analysis_may_form() -> None:
    """The analysis sizes its colours with model.COLOURS; the documents' palette has exactly that many,
    each distinct, so no two segments of a run share a colour."""
    from reportgen.config import MAX_SEGMENTS
    from reportgen.model import COLOURS

    assert len(PALETTE) == len(set(PALETTE)) == COLOURS >= MAX_SEGMENTS
