"""run(settings) -> Report: the stages in order, timed; the one place that reports progress."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .config import Settings
from .input_settings import input_of
from .model import CustomerTable, Report
from .render.html import check as check_templates
from .rules import CampaignBook, Rulebook

if TYPE_CHECKING:
    from .stages.rows import Rows


class Engine(Protocol):
    """Where the customers are held (engines/local.py, engines/spark.py)."""

    def __enter__(self) -> "Engine": ...

    def __exit__(self, *exc: object) -> None: ...

    def rows(self, table: CustomerTable | None) -> Rows: ...


log = logging.getLogger("reportgen")


# What a person at a terminal is told while a stage runs (the long ones; the rest pass quickly).
PROGRESS_WORDS = {
    "load": "Reading the customers", "cluster": "Choosing the number of segments",
    "trust": "Checking how far the segments hold", "charts": "Drawing the charts", "pdf": "Writing the PDF briefing",
    "email": "Writing the email",
}


class _Clock:
    """Times each stage; with `progress` (a person at a terminal) it also shows a live status line."""

    def __init__(self, progress: bool = False) -> None:
        self.timings: dict[str, float] = {}
        self._console: Any = None
        if progress:
            from rich.console import Console

            self._console = Console(stderr=True)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s …", name)
        start = time.perf_counter()
        words = PROGRESS_WORDS.get(name)
        status = self._console.status(f"{words} …") if self._console is not None and words else nullcontext()
        with status:
            yield
        self.timings[name] = time.perf_counter() - start
        if self._console is not None and words:
            self._console.print(f"[green]✓[/green] {words} ({self.timings[name]:.1f} s)", highlight=False)
        log.debug("%s took %.2f s", name, self.timings[name])


@dataclass(frozen=True)
class Inputs:
    """Rules and customers, read and validated: the part of a run where user mistakes surface."""

    rulebook: Rulebook
    campaigns: CampaignBook
    table: CustomerTable | None  # None with the Spark engine, which reads the data itself


def check_inputs(settings: Settings, clock: _Clock) -> tuple[Rulebook, CampaignBook]:
    """Rules, templates and the data file's header: the mistakes a user makes most, found in a
    fraction of a second and before any browser starts."""
    from . import rules
    from .vocabulary import TRANSACTION_FEATURES
    from .stages import derive, read
    from .stages.load import kind as data_kind

    with clock.stage("rules"):
        kind = data_kind(input_of(settings))
        rulebook = rules.load_segments(settings.segments_file(kind))
        campaigns = rules.load_campaigns(settings.campaigns_file(kind), rulebook)
        check_templates(settings.templates_path)
        if kind == "transactions":
            rules.check_features(rulebook, list(TRANSACTION_FEATURES))
        elif settings.engine == "local":
            plan = derive.plan(input_of(settings), read.header(settings.data_path), settings.data_path)
            rules.check_features(rulebook, [f.name for f in plan.features])
    return rulebook, campaigns


def load_table(settings: Settings, clock: _Clock) -> CustomerTable | None:
    """The customers on one machine; None with the Spark engine, which reads the data itself."""
    from .stages import load  # pandas is imported here, not when the CLI starts

    if settings.engine == "spark":
        return None
    with clock.stage("load"):
        given = input_of(settings)
        return load.load_orders(given) if load.kind(given) == "transactions" else load.load(given)


def read_inputs(settings: Settings, clock: _Clock) -> Inputs:
    return Inputs(*check_inputs(settings, clock), load_table(settings, clock))


def _engine(settings: Settings) -> AbstractContextManager[Engine]:
    """Where the customers are held: one machine, or a Spark session for --engine spark."""
    if settings.engine == "spark":
        from .engines.spark import SparkEngine

        return SparkEngine(settings)
    from .engines.local import LocalEngine

    return LocalEngine()


def open_rows(engine: Engine, inputs: Inputs, clock: _Clock) -> Rows:
    """The customers, held by the engine (Spark reads and derives them here)."""
    if inputs.table is not None:
        return engine.rows(inputs.table)
    with clock.stage("load"):
        return engine.rows(None)


def analyse(settings: Settings, data_to: Path | None = None) -> Report:
    """Everything but rendering (for notebooks, tests and other tools); with `data_to`, the data
    files a run writes (summary.json, segments.csv) are written into that folder, by the engine
    that holds the customers."""
    from .analysis import judge, segment

    clock = _Clock()
    inputs = read_inputs(settings, clock)
    with _engine(settings) as engine:
        rows = open_rows(engine, inputs, clock)
        report = judge(segment(settings, inputs.rulebook, inputs.campaigns, rows, clock), clock, settings)
        if data_to is not None:
            from .segments_file import write_segments
            from .summary_file import write_summary

            data_to.mkdir(parents=True, exist_ok=True)
            write_summary(report, data_to)
            write_segments(report, rows, data_to)
        return report


def run(settings: Settings, progress: bool = False) -> Report:
    """Analyse, render and write the period folder; returns the report with its folder set.

    Every run, failed or not, is recorded in OUT/history.jsonl.
    """
    from . import history
    from .files import digest
    from .errors import ReportgenError

    started = history.now()
    start = time.perf_counter()
    record: dict[str, Any] = {
        "period": settings.period,
        "started_at": started,
        "settings_sha256": digest(settings.model_dump(mode="json")),
    }
    try:
        clock = _Clock(progress)
        settings, table, notes = _period_of_the_data(settings, record, clock)
        report = _run(settings, record, clock, table, notes)
    except BaseException as exc:  # a bug (exit 1) or an interrupt is recorded too, then goes on up
        if isinstance(exc, (ReportgenError, OSError)):
            status, error = "failed", str(exc)
        elif isinstance(exc, Exception):
            status, error = "crashed", f"{type(exc).__name__}: {exc}"
        else:
            status, error = "interrupted", type(exc).__name__
        record |= {"status": status, "error": error, "finished_at": history.now(), "seconds": round(time.perf_counter() - start, 3)}
        _record(settings, record)
        raise
    record |= {
        "status": "ok",
        "finished_at": history.now(),
        "seconds": round(report.timings["total"], 3),
        "n_customers": report.table.n_customers,
        "k": report.clustering.k,
        "segment_sizes": {s.name: s.size for s in report.segments},
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
    }
    _record(settings, record)
    return report


def _record(settings: Settings, record: dict[str, Any]) -> None:
    from . import history

    try:
        history.append(settings.out, record)
    except OSError as exc:  # the report itself is fine; say so and go on
        log.warning("Could not record the run in %s: %s", settings.out / history.FILE, exc.strerror or exc)


def latest_date(table: CustomerTable) -> str | None:
    """The last day the data speaks of: an order log's last purchase, or the latest date behind a
    customer table's days-since features (the period's end minus the fewest days)."""
    import datetime as dt

    if table.facts.get("last_purchase"):
        return table.facts["last_purchase"]
    end = table.facts.get("dates_to")
    days = [c for c in table.numeric if table.columns.get(c, "").startswith("days since")]
    if not end or not days:
        return None
    fewest = min((table.frame[c].min() for c in days), default=None)
    if fewest is None or fewest != fewest:
        return None
    return (dt.date.fromisoformat(end) - dt.timedelta(days=int(fewest))).isoformat()


def _period_of_the_data(settings: Settings, record: dict[str, Any], clock: _Clock) -> tuple[Settings, CustomerTable | None, tuple[str, ...]]:
    """Without --period, a run on data that ends before this month reports on the month the data
    ends in, and says so: no briefing is dated after its data without a word. Only data with dates
    is read ahead (an order log, a table with days-since features); the rest is read while the
    browser starts, as with --period."""
    if settings.period_given or settings.engine != "local":
        return settings, None, ()
    from .stages import derive, load, read

    given = input_of(settings)
    if load.kind(given) == "customers":
        try:
            plan = derive.plan(given, read.header(settings.data_path), settings.data_path)
        except Exception:  # the run itself names the problem, with its own message
            return settings, None, ()
        if not any(f.kind == "days_since" for f in plan.features):
            return settings, None, ()
    table = load_table(settings, clock)
    last = latest_date(table) if table is not None else None
    if last is None or last[:7] >= settings.period:
        return settings, table, ()
    moved = settings.model_copy(update={"period": last[:7]})
    moved._source, moved._period_given = settings._source, True
    record["period"] = moved.period
    note = (
        f"No --period was given and the data ends on {last}, so this is the briefing for {last[:7]}, not for the current month "
        f"({settings.period}); give --period to choose another month."
    )
    log.warning("%s", note)
    keep = table if table is not None and load.kind(given) == "transactions" else None  # a customer table's ages and days count to the new period
    return moved, keep, (note,)


def _run(settings: Settings, record: dict[str, Any], clock: _Clock, table: CustomerTable | None = None, notes: tuple[str, ...] = ()) -> Report:
    from .analysis import judge, segment
    from .contacts import write_audiences
    from .outputs import manifest, period_lock, staging, write_json
    from .segments_file import write_segments
    from .summary_file import write_summary
    from .render.browser import BrowserSession
    from .render.pdf import PdfWorker

    start = time.perf_counter()
    target = settings.period_dir
    rulebook, campaigns = check_inputs(settings, clock)  # most mistakes stop here, before any browser starts
    # The staging folder is entered first so that it is removed (or committed) only after the browser,
    # the PDF worker and the engine have stopped: a failed run removed it while the browser was still
    # writing charts into it, and a half-removed staging folder stayed behind.
    with ExitStack() as stack:
        stack.enter_context(period_lock(target))
        tmp = stack.enter_context(staging(target))
        engine = stack.enter_context(_engine(settings))
        # The customers are read first: most mistakes in the data stop the run here, before a browser
        # or a PDF worker is started for nothing (on one machine the read takes 0.2 s of the sample's 5 s).
        inputs = Inputs(rulebook, campaigns, table if table is not None else load_table(settings, clock))
        # The browser boots, and the PDF worker imports WeasyPrint, while the customers are clustered.
        browser = stack.enter_context(BrowserSession(timeout=settings.charts.timeout))
        pdf_worker = stack.enter_context(PdfWorker())
        rows = open_rows(engine, inputs, clock)
        report = segment(settings, rulebook, campaigns, rows, clock)
        if notes:
            report = replace(report, warnings=(*notes, *report.warnings))
        record["input_sha256"] = report.table.checksum
        browser.imported()  # plotly is imported by one thread at a time
        from .render import documents

        with clock.stage("charts"):
            drawing = documents.draw(report, browser, tmp)
        report = judge(report, clock, settings)  # while the browser draws the charts
        docs = documents.prepare(report, drawing, tmp)
        with clock.stage("pdf"):  # the briefing's HTML, waiting for the SVGs, handing over to the worker
            pdf = documents.write_briefing(docs, pdf_worker)
        with clock.stage("html"):  # includes waiting for the PNGs
            documents.write_page(docs)
        with clock.stage("write"):  # while the PDF worker and the browser finish
            write_summary(report, tmp)
            write_segments(report, rows, tmp, settings.segments_parquet)
            write_audiences(report, rows, tmp)
        with clock.stage("email"):  # includes waiting for the PDF, which it attaches
            refused = documents.write_email(docs, pdf)
        clock.timings.update(browser.timings)
        clock.timings.update(pdf_worker.timings)
        clock.timings["waiting_for_svg"] = docs.files.svg.waited
        clock.timings["waiting_for_png"] = docs.files.png.waited
        clock.timings["waiting_for_pdf"] = pdf.waited
        for url in refused:
            log.warning("Refused to fetch %s while rendering the PDF.", url)
        clock.timings["total"] = time.perf_counter() - start
        report = replace(report, timings=dict(clock.timings), folder=target)
        write_json(manifest(report, tmp, settings.model_dump(mode="json")), tmp / "manifest.json")
    log.info("Report written to %s (%.1f s)", target, clock.timings["total"])
    return report
