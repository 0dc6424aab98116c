"""run(settings) -> Report: the stages in order, timed; the one place that reports progress."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from .config import Settings
from .model import Report

log = logging.getLogger("reportgen")


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s …", name)
        start = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - start
        log.debug("%s took %.2f s", name, self.timings[name])


def analyse(settings: Settings, clock: _Clock | None = None) -> Report:
    """Load, cluster, name and recommend: everything but rendering and writing."""
    from . import rules
    from .stages import cluster, features, label, load, recommend

    clock = clock or _Clock()
    with clock.stage("rules"):
        rulebook = rules.load_segments(settings.segments_path)
        book = rules.load_campaigns(settings.campaigns_path, rulebook)
    with clock.stage("load"):
        table = load.load(settings)
    with clock.stage("features"):
        feats = features.build(table, settings)
    with clock.stage("cluster"):
        clustering = cluster.cluster(feats, settings.clustering)
    with clock.stage("label"):
        cuts = label.level_cuts(table, rulebook)
        named = label.label(table, clustering, rulebook, cuts)
    with clock.stage("recommend"):
        segments, warnings = recommend.recommend(named, clustering, book)
    population = {r: float(table.frame[r].mean()) for r in table.numeric_roles if table.frame[r].notna().any()}
    for w in warnings:
        log.warning("%s", w)
    return Report(
        settings=settings,
        table=table,
        features=feats,
        clustering=clustering,
        segments=segments,
        level_cuts=cuts,
        population=population,
        warnings=warnings,
    )


def run(settings: Settings) -> Report:
    """Analyse, render and write the period folder; returns the report with its folder set."""
    from .outputs import manifest, period_lock, staging, write_data_files, write_json
    from .render.charts import ChartExporter

    clock = _Clock()
    start = time.perf_counter()
    target = settings.period_dir
    # The browser boots in the background while the data is loaded and clustered.
    with ChartExporter() as exporter, period_lock(target):
        report = analyse(settings, clock)
        with staging(target) as tmp:
            from .render import documents

            with clock.stage("charts"):
                docs = documents.prepare(report, exporter, tmp)
            with clock.stage("pdf"):  # includes waiting for the chart images
                refused = documents.write_briefing(docs)
            with clock.stage("html"):
                documents.write_page(docs)
            with clock.stage("email"):
                documents.write_email(docs)
            for url in refused:
                log.warning("Refused to fetch %s while rendering the PDF.", url)
            with clock.stage("write"):
                write_data_files(report, tmp)
            clock.timings["total"] = time.perf_counter() - start
            report = replace(report, timings=dict(clock.timings), folder=target)
            write_json(manifest(report, tmp), tmp / "manifest.json")
    log.info("Report written to %s (%.1f s)", target, clock.timings["total"])
    return report

