"""Render every document of a run into a folder: charts, briefing.pdf, report.html, report.eml.

The pipeline calls these one by one so each is timed; they share one `Documents` value.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ..model import Report
from . import view
from .browser import BrowserSession
from .charts import HEIGHT, WIDTH, Chart, ChartFiles, build_charts, export
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

    def chart_values(self, src: dict[str, str], keys: tuple[str, ...] | None = None, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        return [
            {"key": c.key, "title": c.title, "alt": c.alt, "src": src[c.key], "width": WIDTH, "height": HEIGHT}
            for c in self.charts
            if (keys is None or c.key in keys) and c.key not in exclude
        ]

    def with_charts(self, src: dict[str, str]) -> dict[str, Any]:
        return self.context | {
            "overview_charts": self.chart_values(src, exclude=APPENDIX_CHARTS + CHANGE_CHARTS),
            "change_charts": self.chart_values(src, keys=CHANGE_CHARTS),
            "appendix_charts": self.chart_values(src, keys=APPENDIX_CHARTS),
        }


def prepare(report: Report, session: BrowserSession, folder: Path) -> Documents:
    """Build the charts and start their export; the browser works while the caller renders HTML."""
    charts = build_charts(report)
    files = export(session, charts, folder / "charts")
    return Documents(report, folder, view.build(report), charts, files, environment(report.settings.templates_path))


def write_briefing(docs: Documents, worker: PdfWorker) -> PendingPdf:
    """Start briefing.pdf, with the charts as vectors (SVG), in the PDF worker; the email's PNGs export
    meanwhile. ``wait()`` on the result writes the file and returns the URLs the PDF engine refused to
    fetch (expected: none)."""
    relative = {key: f"charts/{key}.svg" for key in docs.files.keys}
    html = render(docs.env, "briefing.html.j2", docs.with_charts(relative))
    docs.files.svgs()
    return worker.render(html, docs.folder, docs.folder / PDF_NAME)


def write_page(docs: Documents) -> None:
    """report.html: one self-contained file (charts as data: URIs) that opens offline."""
    inline = {key: "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode("ascii") for key, p in docs.images.items()}
    (docs.folder / "report.html").write_text(render(docs.env, "report.html.j2", docs.with_charts(inline)), encoding="utf-8")


def write_email(docs: Documents, pdf: PendingPdf) -> list[str]:
    """report.eml: waits for briefing.pdf, which it attaches; returns what the PDF engine refused."""
    cids = {key: f"cid:{cid_for(key)}" for key in docs.files.keys}
    context = docs.context | {"email_charts": docs.chart_values(cids), "pdf_name": PDF_NAME}
    s = docs.report.settings
    html = inline_css(render(docs.env, "email.html.j2", context))
    text = render(docs.env, "email.txt.j2", context)
    refused = pdf.wait()
    message = build_message(
        subject=s.email.subject or f"{s.report.title} — {docs.context['period_label']}",
        sender=s.email.sender,
        recipients=list(s.email.recipients),
        html=html,
        text=text,
        images=docs.images,
        pdf=docs.folder / PDF_NAME,
        pdf_name=PDF_NAME,
    )
    (docs.folder / "report.eml").write_bytes(message.as_bytes())
    return refused
