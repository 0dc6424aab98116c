"""run(settings) -> Report: the stages in order, timed; the one place that reports progress."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import DataError
from .model import CustomerTable, NamingFacts, Report
from .render.html import check as check_templates
from .rules import CampaignBook, Rulebook

if TYPE_CHECKING:
    from .engines.spark import SparkEngine

log = logging.getLogger("reportgen")


# What a person at a terminal is told while a stage runs (the long ones; the rest pass quickly).
PROGRESS_WORDS = {
    "load": "Reading the customers", "spark": "Analysing on Spark", "cluster": "Choosing the number of segments",
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
        kind = data_kind(settings)
        rulebook = rules.load_segments(settings.segments_file(kind))
        campaigns = rules.load_campaigns(settings.campaigns_file(kind), rulebook)
        check_templates(settings.templates_path)
        if kind == "transactions":
            rules.check_features(rulebook, list(TRANSACTION_FEATURES))
        elif settings.engine == "local":
            plan = derive.plan(settings, read.header(settings.data_path), settings.data_path)
            rules.check_features(rulebook, [f.name for f in plan.features])
    return rulebook, campaigns


def load_table(settings: Settings, clock: _Clock) -> CustomerTable | None:
    """The customers on one machine; None with the Spark engine, which reads the data itself."""
    from .stages import load  # pandas is imported here, not when the CLI starts

    if settings.engine == "spark":
        return None
    with clock.stage("load"):
        return load.load_orders(settings) if load.kind(settings) == "transactions" else load.load(settings)


def read_inputs(settings: Settings, clock: _Clock) -> Inputs:
    return Inputs(*check_inputs(settings, clock), load_table(settings, clock))


def segment(settings: Settings, inputs: Inputs, clock: _Clock, engine: SparkEngine | None = None) -> Report:
    """Features, clusters, names and campaigns for the customers read; changes since last time.
    How far the segments hold (`judge`) is left to the caller: a run computes it while the browser
    draws the charts, which do not show it."""
    from . import rules, summary_file
    from .model import COLOURS
    from .presentation import resolve
    from .stages import cluster, compare, features, label, profile, recommend
    from .stages import naming as names
    from .stages.actions import rank as rank_actions
    from .stages.rows import LocalRows
    from .stages import value

    previous_dir = settings.comparison_dir()
    previous = summary_file.load_previous(previous_dir) if previous_dir else None

    if engine is not None:
        with clock.stage("spark"), _naming_the_file(settings):
            table, feats, clustering, prof = engine.analyse(inputs.rulebook)
    else:
        assert inputs.table is not None
        table = inputs.table
        with clock.stage("features"):
            feats = features.build(table, settings)
        with clock.stage("cluster"), _naming_the_file(settings):
            clustering = cluster.cluster(feats, settings.clustering)
        with clock.stage("profile"):
            prof = profile.profile(table, clustering, label.quantile_points(inputs.rulebook), feats)
    with clock.stage("label"):
        rows = engine.rows(feats, clustering) if engine is not None else LocalRows(table, feats, settings.clustering, label.quantile_points(inputs.rulebook), clustering)
        label_of = lambda f: settings.display_of(f).label  # noqa: E731
        naming = names.name(rows, feats, clustering, prof, inputs.rulebook, settings.clustering, label_of, previous.level_cuts if previous else None)
        clustering, prof, cuts = naming.clustering, naming.profile, naming.cuts
        matches = compare.match(naming.named, previous, feats, prof.percentiles) if previous else {}
        if previous:
            naming = names.keep_names(naming, {c: previous.segments[i].base_name for c, i in matches.items()}, inputs.rulebook, prof, label_of)
        named = naming.named
        if previous:
            named = compare.stabilise_names(named, previous, matches)
    with clock.stage("recommend"):
        money = value.money_feature(table.kind, settings.value, table.numeric)
        segments, warnings = recommend.recommend(named, clustering, inputs.campaigns, prof, money)
        unjudged = rules.unjudged(inputs.rulebook, naming.unjudged) if naming.how == "data" else None
        if unjudged:  # named from the data; the missing campaigns follow from the missing rules
            warnings = (unjudged,)
        else:
            warnings = (*label.unseparated_warnings(prof, inputs.rulebook), *warnings)
        flat = tuple(
            f"{settings.display_of(f).label} is the same for every customer, so it cannot tell segments apart; leave it out of features."
            for f in features.constant_roles(feats)
        )
        warnings = (*flat, *_naming_warnings(naming, prof, settings), *warnings)
        segments = compare.colours(segments, previous, matches, COLOURS)
        segments = value.worth(segments, prof, money)
        segments, forecast = value.forecast(rows, segments, prof, settings.clustering.seed)
        segments, response_rates = value.responses(segments, prof, settings.responses, settings.source)
        actions = rank_actions(segments, settings.responses[-1] if settings.responses else None)
        if forecast is not None and not forecast.fitted:
            warnings = (*warnings, f"No predictions of what the customers will buy next: {forecast.reason}.")
        if isinstance(rows, LocalRows):
            table = rows.table  # with each customer's predictions
        if money and not settings.report.currency:
            warnings = (*warnings, f"Amounts ({settings.display_of(money).label.lower()}, revenue) are shown without a currency: the settings do not say which; set report.currency (for example currency: \"£\").")
        facts = NamingFacts(
            how=naming.how, rules=str(inputs.rulebook.path), judged=tuple(cuts), unjudged=naming.unjudged,
            short_history=naming.short_history, fine_k=naming.fine_k, cluster_fits=naming.cluster_fits,
            folded=naming.folded, value_feature=money, kept_cuts=naming.kept_cuts,
        )
        changes = None
        if previous and previous_dir:
            if engine is not None:
                counts = engine.migration_counts(previous, previous_dir, len(segments) + 1)
            else:
                counts = compare.migration_counts(table.frame["customer_id"], clustering.labels, previous, len(segments) + 1)
            changes = compare.changes(segments, table.n_customers, previous, matches, counts, names.old_fits(naming, previous, matches, inputs.rulebook))
    for w in warnings:
        log.warning("%s", w)
    return Report(
        period=settings.period,
        presentation=resolve(settings, (*table.numeric, *table.attributes, *table.scores, *feats.roles)),
        value=settings.value,
        table=table,
        features=feats,
        clustering=clustering,
        segments=segments,
        level_cuts=cuts,
        profile=prof,
        warnings=warnings,
        changes=changes,
        naming=facts,
        forecast=forecast,
        actions=actions,
        response_rates=response_rates,
    )


def _naming_warnings(naming: Any, prof: Any, settings: Settings) -> tuple[str, ...]:
    """What the reader must know before trusting the names: a log too short to judge recency, no
    buying cycle, names that hold for too few of their customers."""
    from .stages.members import HOLDS

    out = []
    r = prof.rhythm
    if r is not None and naming.short_history:
        cycle = f" and its customers reorder every {r.cycle_days:.0f} days" if r.cycle_days is not None else ""
        out.append(
            f"The order log covers only {r.history_days:.0f} days{cycle}: too short to tell who is slipping away, so no segment is given a "
            f"lapsing name (About to sleep, At risk, Lost ...); read recency and frequency as a snapshot."
        )
    if r is not None and r.cycle_days is None:
        out.append("No customer ordered twice in this log, so the shop's buying cycle is unknown and recency cannot be judged against it; the segments are named from the data.")
    for nm in naming.named:
        if nm.fit is not None and nm.fit < HOLDS:
            out.append(f"'{nm.name}' holds for only {nm.fit:.0%} of its customers: read it as a rough description, not as true of each customer.")
    return tuple(out)


def judge(report: Report, clock: _Clock, settings: Settings) -> Report:
    """The report with its trust measures: confidence, stability per segment, other methods."""
    from .stages import trust

    with clock.stage("trust"):
        return replace(report, trust=trust.assess(report.features, report.clustering, settings.clustering))


@contextmanager
def _naming_the_file(settings: Settings) -> Iterator[None]:
    """Data errors from clustering name the customer file, like the loader's do."""
    try:
        yield
    except DataError as exc:
        where = settings.data_location
        raise DataError(exc.message if exc.message.startswith(where) else f"{where}: {exc.message}", exc.hint) from None


def _engine(settings: Settings) -> AbstractContextManager[SparkEngine | None]:
    """The Spark session for --engine spark; nothing for one machine."""
    if settings.engine == "spark":
        from .engines.spark import SparkEngine

        return SparkEngine(settings)
    return nullcontext(None)


def analyse(settings: Settings) -> Report:
    """Everything but rendering and writing (for notebooks, tests and other tools)."""
    clock = _Clock()
    inputs = read_inputs(settings, clock)
    with _engine(settings) as engine:
        return judge(segment(settings, inputs, clock, engine), clock, settings)


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

    if load.kind(settings) == "customers":
        try:
            plan = derive.plan(settings, read.header(settings.data_path), settings.data_path)
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
    keep = table if table is not None and load.kind(settings) == "transactions" else None  # a customer table's ages and days count to the new period
    return moved, keep, (note,)


def _run(settings: Settings, record: dict[str, Any], clock: _Clock, table: CustomerTable | None = None, notes: tuple[str, ...] = ()) -> Report:
    from .contacts import write_audiences
    from .outputs import manifest, period_lock, staging, write_json, write_segments, write_summary
    from .render.browser import BrowserSession
    from .render.pdf import PdfWorker

    start = time.perf_counter()
    target = settings.period_dir
    rulebook, campaigns = check_inputs(settings, clock)  # most mistakes stop here, before any browser starts
    # The browser boots, and the PDF worker imports WeasyPrint, while the customers are loaded and clustered.
    with period_lock(target), _engine(settings) as engine, BrowserSession(timeout=settings.charts.timeout) as browser, PdfWorker() as pdf_worker:
        inputs = Inputs(rulebook, campaigns, table if table is not None else load_table(settings, clock))
        report = segment(settings, inputs, clock, engine)
        if notes:
            report = replace(report, warnings=(*notes, *report.warnings))
        record["input_sha256"] = report.table.checksum
        with staging(target) as tmp:
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
                if engine is not None:
                    engine.write_assignments([s.name for s in report.segments], tmp, settings.segments_parquet)
                    engine.write_audiences(report, tmp)
                else:
                    write_segments(report, tmp, settings.segments_parquet)
                    write_audiences(report, tmp)
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
