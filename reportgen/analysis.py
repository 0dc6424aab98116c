"""The analysis in order, on the rows of whichever engine holds the customers: features, clusters,
their profile, names, campaigns, worth and predictions, and the changes since last month. Every
decision is the stages' (stages/), made once for both engines; the engine (stages/rows.py Rows)
only executes. Rendering and writing are the pipeline's (pipeline.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any, Protocol

from .config import Settings
from .errors import DataError
from .model import COLOURS, NamingFacts, Report
from .rules import CampaignBook, Rulebook
from .stages.rows import Rows

log = logging.getLogger("reportgen")


class Clock(Protocol):
    def stage(self, name: str) -> AbstractContextManager[None]: ...


def segment(settings: Settings, rulebook: Rulebook, campaigns: CampaignBook, rows: Rows, clock: Clock) -> Report:
    """Features, clusters, names and campaigns for the customers held by `rows`; changes since last
    time. How far the segments hold (`judge`) is left to the caller: a run computes it while the
    browser draws the charts, which do not show it."""
    from . import rules, summary_file
    from .presentation import resolve
    from .stages import cluster, compare, features, label, profile, recommend, value
    from .stages import naming as names
    from .stages.actions import rank as rank_actions

    previous_dir = settings.comparison_dir()
    previous = summary_file.load_previous(previous_dir) if previous_dir else None

    with clock.stage("features"):
        feats = features.build(rows, rows.table.clustered or tuple(settings.features or ()), settings.scale)
    with clock.stage("cluster"), _naming_the_file(settings):
        clustering = cluster.cluster(feats, settings.clustering, rows)
    with clock.stage("profile"):
        prof = profile.profile(rows, clustering.k, clustering.labels, label.quantile_points(rulebook), feats)
    with clock.stage("label"):
        label_of = lambda f: settings.display_of(f).label  # noqa: E731
        naming = names.name(rows, feats, clustering, prof, rulebook, settings.clustering, label_of, previous.level_cuts if previous else None)
        clustering, prof, cuts = naming.clustering, naming.profile, naming.cuts
        matches = compare.match(naming.named, previous, feats, prof.percentiles) if previous else {}
        if previous:
            naming = names.keep_names(naming, {c: previous.segments[i].base_name for c, i in matches.items()}, rulebook, prof, label_of)
        named = naming.named
        if previous:
            named = compare.stabilise_names(named, previous, matches)
    with clock.stage("recommend"):
        table = rows.table
        money = value.money_feature(table.kind, settings.value, table.numeric)
        segments, warnings = recommend.recommend(named, clustering, campaigns, prof, money)
        unjudged = rules.unjudged(rulebook, naming.unjudged) if naming.how == "data" else None
        if unjudged:  # named from the data; the missing campaigns follow from the missing rules
            warnings = (unjudged,)
        else:
            warnings = (*label.unseparated_warnings(prof, rulebook), *warnings)
        flat = tuple(
            f"{settings.display_of(f).label} is the same for every customer, so it cannot tell segments apart; leave it out of features."
            for f in features.constant_roles(feats)
        )
        warnings = (*flat, *_naming_warnings(naming, prof), *warnings)
        segments = compare.colours(segments, previous, matches, COLOURS)
        segments = value.worth(segments, prof, money)
        segments, forecast = value.forecast(rows, segments, prof, settings.clustering.seed)
        segments, response_rates = value.responses(segments, prof, settings.responses, settings.source)
        actions = rank_actions(segments, settings.responses[-1] if settings.responses else None)
        if forecast is not None and not forecast.fitted:
            warnings = (*warnings, f"No predictions of what the customers will buy next: {forecast.reason}.")
        table = rows.table  # with each customer's predictions
        if money and not settings.report.currency:
            warnings = (*warnings, f"Amounts ({settings.display_of(money).label.lower()}, revenue) are shown without a currency: the settings do not say which; set report.currency (for example currency: \"£\").")
        facts = NamingFacts(
            how=naming.how, rules=str(rulebook.path), judged=tuple(cuts), unjudged=naming.unjudged,
            short_history=naming.short_history, fine_k=naming.fine_k, cluster_fits=naming.cluster_fits,
            folded=naming.folded, value_feature=money, kept_cuts=naming.kept_cuts,
        )
        changes = None
        if previous:
            pairs, twice = rows.migration(previous.folder)
            counts = compare.migration_counts(pairs, twice, previous, len(segments) + 1)
            changes = compare.changes(segments, table.n_customers, previous, matches, counts, names.old_fits(naming, previous, matches, rulebook))
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


def _naming_warnings(naming: Any, prof: Any) -> tuple[str, ...]:
    """What the reader must know before trusting the names: a log too short to judge recency, no
    buying cycle, names that hold for too few of their customers."""
    from .stages.members import HOLDS

    out = []
    if prof.rhythm is not None and "monetary" not in prof.population:
        out.append("The order log has no value column (an amount, or a quantity and a price), so the segments are formed on recency and frequency only and no revenue is stated.")
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


def judge(report: Report, clock: Clock, settings: Settings) -> Report:
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
