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
    from .render import wording

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
        flat = tuple(wording.constant_feature(settings.display_of(f).label) for f in features.constant_roles(feats))
        warnings = (*flat, *wording.naming_warnings(naming, prof), *warnings)
        segments = compare.colours(segments, previous, matches, COLOURS)
        segments = value.worth(segments, prof, money)
        segments, forecast = value.forecast(rows, segments, prof, settings.clustering.seed)
        segments, response_rates = value.responses(segments, prof, settings.responses, settings.source)
        actions = rank_actions(segments, settings.responses[-1] if settings.responses else None)
        if forecast is not None and not forecast.fitted:
            warnings = (*warnings, wording.no_forecast(forecast.reason))
        table = rows.table  # with each customer's predictions
        if money and not settings.report.currency:
            warnings = (*warnings, wording.no_currency(settings.display_of(money).label))
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
