"""The briefing as a reader sees it, on the shared data sets and on shop-style files made here: no word
printed over another or cut off at a chart's edge (poppler's word boxes of every page, and of every chart
drawn on its own), at most k + 7 pages for k segments, one page per segment, no page more than half empty
but the cover and the last.

Full runs (Chromium and WeasyPrint): about a minute and a half in all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cairosvg
import pytest

from reportgen.settings_file import load_settings
from reportgen.init import write
from reportgen.pipeline import run

from . import pdfwords
from .conftest import MALL, MARKETING, SHARED, settings
from .shopdata import crm_table, long_rules, order_log

pytestmark = pytest.mark.e2e  # whole reports, seven of them

ROOT = Path(__file__).resolve().parents[1]
RETAIL = SHARED / "data" / "online_retail_sample.csv"


def _sample(work: Path) -> Any:
    return settings(period="2026-11", out=work)


def _mall(work: Path) -> Any:
    return settings(data=MALL, features=["income", "spending"], period="2026-11", out=work)


def _crm_example(work: Path) -> Any:
    return load_settings(ROOT / "examples" / "marketing_campaign" / "reportgen.yaml", {"period": "2014-07", "out": str(work)})


def _crm_init(work: Path) -> Any:
    return load_settings(write(MARKETING, work / "crm.yaml"), {"period": "2014-07", "out": str(work)})


def _retail(work: Path) -> Any:
    return settings(data=RETAIL, period="2011-12", out=work)


def _long_names_k8(work: Path) -> Any:
    """A year of orders with long product and category names, a rule pack with long segment names, k = 8."""
    config = work / "reportgen.yaml"
    config.write_text(f"data: {order_log(work / 'orders.csv')}\nrules: {long_rules(work / 'rules')}\n")
    return load_settings(config, {"period": "2024-12", "out": str(work), "k": 8})


def _crm_flags(work: Path) -> Any:
    """A CRM export with money signs, yes/no columns and a zero-heavy count, through `reportgen init`."""
    return load_settings(write(crm_table(work / "crm.csv"), work / "crm.yaml"), {"period": "2024-12", "out": str(work)})


DATASETS: dict[str, Callable[[Path], Any]] = {
    "sample": _sample, "mall": _mall, "crm_example": _crm_example, "crm_init": _crm_init, "retail": _retail,
    "long_names_k8": _long_names_k8, "crm_flags": _crm_flags,
}


@pytest.fixture(scope="module", params=list(DATASETS))
def briefing(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp(request.param)
    report = run(DATASETS[request.param](work))
    assert report.folder is not None
    summary = json.loads((report.folder / "summary.json").read_text())
    return {"name": request.param, "folder": report.folder, "k": summary["k"], "pages": pdfwords.pages(report.folder / "briefing.pdf")}


def test_no_word_prints_over_another_or_off_the_page(briefing: dict[str, Any]) -> None:
    for page in briefing["pages"]:
        clashes = [(a.text, b.text, round(a.y0)) for a, b in pdfwords.overlaps(page)]
        assert not clashes, f"{briefing['name']} page {page.number}: {clashes[:8]}"
        off = [w.text for w in pdfwords.outside(page)]
        assert not off, f"{briefing['name']} page {page.number}: {off[:8]}"


def test_at_most_k_plus_7_pages_one_per_segment_none_mostly_empty(briefing: dict[str, Any]) -> None:
    pages, k = briefing["pages"], briefing["k"]
    assert len(pages) <= k + 7, (briefing["name"], len(pages), k)
    texts = [" ".join(w.text for w in p.words) for p in pages]
    segment_pages = [i for i, t in enumerate(texts) if "Recommended campaigns" in t]
    appendix = next(i for i, t in enumerate(texts) if "Appendix: method and data quality" in t)
    assert len(segment_pages) == k and segment_pages == list(range(appendix - k, appendix)), (briefing["name"], segment_pages, appendix)
    assert sum("Executive summary" in t for t in texts) == 1 and "Executive summary" in texts[1]
    assert appendix >= len(pages) - 2  # the appendix takes two pages at most
    for page in pages[1:-1]:
        assert page.filled >= 0.5, f"{briefing['name']} page {page.number} is filled to {page.filled:.0%}"


def _svg_words(svg: str) -> list[str]:
    """The words of every line of text in a plotly SVG (a wrapped label's lines are tspans)."""
    lines = re.findall(r">([^<>]+)<", re.sub(r"<(style|defs)\b.*?</\1>", "", svg, flags=re.S))
    return [w for line in lines for w in line.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").split()]


def test_every_chart_has_room_for_its_words(briefing: dict[str, Any], tmp_path: Path) -> None:
    """Each chart drawn on its own (the same figure is the email's PNG and the page's live chart): no
    two words overlap, none passes its edge, and every word the chart writes is there whole."""
    for svg in sorted((briefing["folder"] / "charts").glob("*.svg")):
        pdf = tmp_path / f"{svg.stem}.pdf"
        cairosvg.svg2pdf(url=str(svg), write_to=str(pdf), unsafe=False)
        (page,) = pdfwords.pages(pdf)
        where = f"{briefing['name']} {svg.stem}"
        assert not pdfwords.overlaps(page), (where, [(a.text, b.text) for a, b in pdfwords.overlaps(page)][:8])
        assert all(-0.5 <= w.x0 and w.x1 <= page.width + 0.5 and -0.5 <= w.y0 and w.y1 <= page.height + 0.5 for w in page.words), where
        drawn = "".join(w.text for w in page.words)
        cut = [w for w in _svg_words(svg.read_text(encoding="utf-8")) if w not in drawn]
        assert not cut, (where, cut[:8])


def test_words_a_marketer_reads(briefing: dict[str, Any]) -> None:
    text = " ".join(w.text for p in briefing["pages"] for w in p.words)
    assert text.count("How sure we are:") == 1  # confidence said once, its figures in the appendix
    assert not re.search(r"\b(None|nan)\b", text)  # no value missing from a sentence ('age up to None')
    assert not re.search(r"\b(buys|is highest)\b", text)  # no verb that assumes a segment's name is singular
    assert "stability 0." not in text.split("Appendix: method")[0]  # the band speaks of reliability
    if briefing["name"] == "retail":
        assert "LANDMARK FRAME OXFORD STREET" in text and "landmark frame oxford street" not in text
        assert re.search(r"20,000 order lines read, [\d,]+ of them purchases; [\d,]+ customers analysed", text)
