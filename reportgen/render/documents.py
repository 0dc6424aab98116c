"""Render every document of a run into a folder: charts, briefing.pdf, report.html, report.eml.

The pipeline calls these one by one so each is timed; they share one `Documents` value.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ..errors import RenderError
from ..model import Report
from . import pages, view
from .browser import BrowserSession
from .chartfiles import ChartFiles, export
from .chartkit import EMAIL_WIDTH, WIDTH, Chart
from .charts import build_charts
from .email import build_message, cid_for, inline_css
from .html import environment, render
from .pdf import PdfWorker, PendingPdf

APPENDIX_CHARTS = ("k_selection",)
CHANGE_CHARTS = ("migration",)
PDF_NAME = "briefing.pdf"


@dataclass(frozen=True)
class Documents:
    """What the documents are made from: the worded values, the chart images and the templates."""

    report: Report
    folder: Path
    context: dict[str, Any]
    charts: list[Chart]
    files: ChartFiles
    env: jinja2.Environment

    @property
    def images(self) -> dict[str, Path]:
        """The charts as PNG files (email and page); waits for the browser to finish them."""
        return self.files.pngs()

    def chart_values(self, src: dict[str, str], keys: tuple[str, ...] | None = None, exclude: tuple[str, ...] = (), live: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [
            {
                "key": c.key, "title": c.title, "alt": c.alt, "src": src[c.key], "width": WIDTH, "height": c.height, "live": (live or {}).get(c.key, ""),
                "email_width": EMAIL_WIDTH, "email_height": round(EMAIL_WIDTH * c.height / WIDTH),
            }
            for c in self.charts
            if (keys is None or c.key in keys) and c.key not in exclude
        ]

    def logo(self, how: str) -> str:
        """The logo for one document: a data: URI (PDF, page) or a cid: reference (email, PNG only)."""
        path = self.report.presentation.logo
        if path is None:
            return ""
        kind = "svg+xml" if path.suffix.lower() == ".svg" else "png"
        if how == "cid":
            return f"cid:{cid_for('logo')}"
        return f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")

    def email_logo(self) -> Path | None:
        """The logo as a PNG for the email: mail clients do not show SVG, so an SVG logo is drawn
        to PNG (CairoSVG, with external references refused)."""
        path = self.report.presentation.logo
        if path is None or path.suffix.lower() == ".png":
            return path
        import cairosvg

        out = self.folder / "charts" / "logo.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            cairosvg.svg2png(bytestring=path.read_bytes(), write_to=str(out), output_height=144, unsafe=False)
        except Exception as exc:  # a malformed SVG: say which file
            raise RenderError(f"The logo {path} could not be drawn ({type(exc).__name__}).", "Save it again as SVG or PNG.") from None
        return out

    def with_charts(self, src: dict[str, str], logo: str = "data", live: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.context | {
            "logo_src": self.logo(logo),
            "overview_charts": self.chart_values(src, exclude=APPENDIX_CHARTS + CHANGE_CHARTS, live=live),
            "change_charts": self.chart_values(src, keys=CHANGE_CHARTS, live=live),
            "appendix_charts": self.chart_values(src, keys=APPENDIX_CHARTS, live=live),
        }


def draw(report: Report, session: BrowserSession, folder: Path) -> tuple[list[Chart], ChartFiles]:
    """Build the charts and start their export; returns at once, and the browser draws while the
    caller goes on (the trust measures, the HTML)."""
    charts = build_charts(report)
    _fit_overview(report, charts)
    return charts, export(session, charts, folder / "charts")


def _fit_overview(report: Report, charts: list[Chart]) -> None:
    """Draw the charts of a mostly empty overview page taller (render/pages.py)."""
    change = [c for c in charts if c.key in CHANGE_CHARTS]
    overview = [c for c in charts if c.key not in APPENDIX_CHARTS + CHANGE_CHARTS]
    lead = 0.0
    if report.changes is not None:
        said = view.change_sentences(report)
        lead = pages.changes_mm(len(said), len(report.changes.segments) + len(report.changes.disappeared))
    pages.fit(change + overview, lead, heading_at=len(change))


def prepare(report: Report, drawing: tuple[list[Chart], ChartFiles], folder: Path) -> Documents:
    """The documents' shared values, for the report as it will be shown (with its trust measures)."""
    charts, files = drawing
    return Documents(report, folder, view.build(report), charts, files, environment(report.presentation.templates))


def write_briefing(docs: Documents, worker: PdfWorker) -> PendingPdf:
    """Start briefing.pdf, with the charts as vectors (SVG), in the PDF worker; the email's PNGs export
    meanwhile. The worker gets the HTML at once and lays out every page, around blank pictures of the
    charts' size, while the SVGs are still drawing; it draws them in once they are written. ``wait()`` on the result writes the file and returns the URLs the PDF
    engine refused to fetch (expected: none), or raises the charts' or the PDF's RenderError."""
    relative = {key: f"charts/{key}.svg" for key in docs.files.keys}
    html = render(docs.env, "briefing.html.j2", docs.with_charts(relative) | {"appendix_charts": []})  # the k table says it in the PDF
    late = {f"charts/{c.key}.svg": (WIDTH, c.height) for c in docs.charts}
    return worker.render(html, docs.folder, docs.folder / PDF_NAME, ready=docs.files.svgs, late=late)


def write_page(docs: Documents) -> None:
    """report.html: one self-contained file with live charts (plotly.js inside) that opens offline."""
    from markupsafe import Markup

    from .interactive import page_charts

    live = page_charts(docs.charts)
    figures = {key: Markup(html) for key, html in live["live_charts"].items()}
    context = docs.with_charts({c.key: "" for c in docs.charts}, live=figures) | {"plotly_js": Markup(live["plotly_js"].replace("</script", "<\\/script"))}
    (docs.folder / "report.html").write_text(render(docs.env, "report.html.j2", context), encoding="utf-8")


def write_email(docs: Documents, pdf: PendingPdf) -> list[str]:
    """report.eml: waits for briefing.pdf, which it attaches; returns what the PDF engine refused."""
    cids = {key: f"cid:{cid_for(key)}" for key in docs.files.keys}
    context = docs.context | {"email_charts": docs.chart_values(cids), "pdf_name": PDF_NAME, "logo_src": docs.logo("cid")}
    s = docs.report.presentation
    html = inline_css(render(docs.env, "email.html.j2", context))
    text = render(docs.env, "email.txt.j2", context)
    refused = pdf.wait()
    message = build_message(
        subject=s.email_subject or f"{s.title} — {docs.context['period_label']}",
        sender=s.email_sender,
        recipients=list(s.email_recipients),
        html=html,
        text=text,
        images=docs.images | ({"logo": logo} if (logo := docs.email_logo()) else {}),
        pdf=docs.folder / PDF_NAME,
        pdf_name=PDF_NAME,
    )
    (docs.folder / "report.eml").write_bytes(message.as_bytes())
    return refused
