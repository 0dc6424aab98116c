"""summary.json: its writer (`summary`), its schema version, and an earlier period's report read
back for the comparison.

`summary` writes summary.json with `schema_version`; `load_previous` reads it back, so a change
to the file's shape and the code that reads it sit together. The version is a whole number raised
when a field other tools or the next month's run read changes meaning or goes away (adding a field
does not raise it). Files written before the version existed carry none: they are version 1 and are
read as before, so months already on disk still compare. A version this release does not know
(written by a newer reportgen) is refused with the file named, never half-read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import DataError
from .files import dumps
from .model import Report
from .render.wording import alternatives_sentence, confidence_sentence
from .stages.compare import Previous, PreviousSegment

SCHEMA_VERSION = 2  # 1: the unversioned files of earlier releases
READABLE = (1, 2)


def schema_version(summary: dict[str, Any], path: Path) -> int:
    """The file's version (1 when it has none); an unknown one stops the run, naming the file."""
    version = summary.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version not in READABLE:
        raise DataError(
            f"{path}: schema_version {version!r} is not one this reportgen reads (it reads {', '.join(map(str, READABLE))}); "
            "a newer reportgen wrote it.",
            "Upgrade reportgen, re-run that period with this one, or choose another period with --compare-to.",
        )
    return version


def load_previous(folder: Path) -> Previous:
    """Read a period folder's summary.json; its segments.csv, which lists every customer, is read
    by the engine that counts who moved (stages/compare.py, on one machine)."""
    path = folder / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise TypeError("not a JSON object")
        schema_version(summary, path)
        segments = tuple(
            PreviousSegment(
                name=s["name"],
                base_name=s.get("base_name", s["name"]),
                size=int(s["size"]),
                share=float(s["share"]),
                centroid={k: float(v) for k, v in s["centroid"].items()},
                colour=int(s.get("colour", s["id"])),
            )
            for s in summary["segments"]
        )
        if not (folder / "segments.csv").is_file():
            raise FileNotFoundError(f"no segments.csv in {folder}")
        cuts = {str(f): tuple(float(v) for v in c) for f, c in (summary.get("level_cuts") or {}).items()}
        return Previous(str(summary["period"]), int(summary["n_customers"]), segments, folder, cuts)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"{folder}: the previous report cannot be read for the comparison ({type(exc).__name__}: {exc}).",
            "Re-run that period, or choose another with --compare-to.",
        ) from None


def summary(report: Report) -> dict[str, Any]:
    """The numbers other tools read; no timestamps, so equal inputs give equal files."""
    c = report.clustering
    t = report.table
    return {
        "schema_version": SCHEMA_VERSION,  # load_previous reads it back: raise it when a field read changes
        "period": report.period,
        "n_customers": t.n_customers,
        "n_read": t.n_read,
        "n_dropped": t.n_dropped,
        "row_issues": [
            {"column": i.column, "reason": i.reason, "rows": i.rows, "dropped": i.dropped, "example_lines": list(i.examples)}
            for i in t.issues
        ],
        "kind": t.kind,
        "facts": t.facts,
        "features": list(report.features.roles),
        "scaling": [
            {"feature": f, "transform": tr, "skew": sk, "automatic": auto}
            for f, tr, sk, auto in zip(report.features.roles, report.features.transforms, report.features.skew, report.features.automatic)
        ],
        "all_features": list(t.numeric),
        "attributes": list(t.attributes),
        "definitions": t.columns,
        "population": {f: round(v, 4) for f, v in report.population.items()},
        "k": c.k,
        "k_clusters": c.clusters_k,  # K-Means' own k; differs from k when the segments were formed by name
        "k_auto": c.k_auto,
        "metrics": {"silhouette": c.silhouette, "davies_bouldin": c.davies_bouldin, "calinski_harabasz": c.calinski_harabasz},
        "k_selection": [
            {"k": p.k, "silhouette": p.silhouette, "calinski_harabasz": p.calinski_harabasz, "davies_bouldin": p.davies_bouldin, "inertia": p.inertia, "min_share": p.min_share, "stability": p.stability}
            for p in c.k_curve
        ],
        "k_reasons": list(c.k_reasons),
        "confidence": _confidence(report),
        "alternatives": [{"method": a.method, "k": a.k, "silhouette": a.silhouette, "agreement": a.agreement} for a in report.trust.alternatives] if report.trust else [],
        "level_cuts": {role: [round(v, 4) for v in cuts] for role, cuts in report.level_cuts.items()},
        "naming": _naming(report),
        "forecast": _forecast(report),
        "responses": report.response_rates,
        "actions": [
            {
                "segment": a.segment, "campaign": a.campaign, "audience": a.audience, "value_at_stake": a.value_at_stake,
                "value_basis": a.basis or None, "expected_response": a.expected_response, "budget_share": a.budget_share,
            }
            for a in report.actions
        ],
        "largest_segment": report.largest.id,
        "most_valuable_segment": report.most_valuable.id,
        "segments": [
            {
                "id": s.id,
                "name": s.name,
                "size": s.size,
                "share": s.share,
                "centroid": {f: s.centroid[f] for f in report.features.roles if f in s.centroid},
                "levels": s.levels,
                "name_fit": s.name_fit,
                "revenue": s.revenue,
                "revenue_share": s.revenue_share,
                "p_active": s.p_active,
                "p_order_90d": s.p_order_90d,
                "expected_orders_90d": s.expected_orders_90d,
                "expected_value_12m": s.expected_value_12m,
                "responses": s.responses,
                "description": s.profile,
                "profile": s.means,
                "mix": s.mix,
                "stability": report.trust.stability[s.id] if report.trust and s.id < len(report.trust.stability) else None,
                "category_index": s.category_index,
                "attributes": s.mixes,
                "rule": s.rule,
                "base_name": s.base_name,
                "colour": s.colour,
                "gender_mix": s.mixes.get("gender", {}),
                "campaigns": [
                    {
                        "name": cp.name,
                        "objective": cp.objective,
                        "channels": list(cp.channels),
                        "offer": cp.offer,
                        "kpi": cp.kpi,
                        "budget_share": cp.budget_share,
                        "tone": cp.tone,
                    }
                    for cp in s.campaigns
                ],
            }
            for s in report.segments
        ],
        "warnings": list(report.warnings),
        "changes": _changes(report),
    }


def _forecast(report: Report) -> dict[str, Any] | None:
    f = report.forecast
    if f is None:
        return None
    return {
        "fitted": f.fitted,
        "reason": f.reason or None,
        "bgnbd": dict(zip(("r", "alpha", "a", "b"), (round(v, 6) for v in f.bgnbd))) if f.bgnbd else None,
        "gamma_gamma": dict(zip(("p", "q", "v"), (round(v, 6) for v in f.gamma_gamma))) if f.gamma_gamma else None,
        "time_unit": "days",
        "customers": f.customers,
        "repeat_customers": f.repeat_customers,
    }


def _naming(report: Report) -> dict[str, Any] | None:
    n = report.naming
    if n is None:
        return None
    r = report.profile.rhythm
    return {
        "how": n.how,
        "rules": n.rules,
        "judged": list(n.judged),
        "unjudged": list(n.unjudged),
        "short_history": n.short_history,
        "fine_clusters": n.fine_k or None,
        "first_clusters": [{"name": name, "name_fit": fit} for name, fit in n.cluster_fits],
        "folded": [{"name": name, "customers": size} for name, size in n.folded],
        "value_feature": n.value_feature,
        "kept_cuts": list(n.kept_cuts),
        "rhythm": None if r is None else {"cycle_days": None if r.cycle_days is None else round(r.cycle_days, 2), "history_days": r.history_days, "repeat_customers": r.repeat_customers},
    }


def _confidence(report: Report) -> dict[str, Any] | None:
    if report.trust is None:
        return None
    c = report.trust.confidence
    return {
        "level": c.level,
        "statement": confidence_sentence(c),
        "hopkins": c.hopkins,
        "silhouette": c.silhouette,
        "reference_silhouette": c.reference_silhouette,
        "stability": c.stability,
        "reasons": list(c.reasons),
        "alternatives_statement": alternatives_sentence(report.trust.alternatives),
        "rows": report.trust.rows,
    }


def _changes(report: Report) -> dict[str, Any] | None:
    ch = report.changes
    if ch is None:
        return None
    return {
        "previous_period": ch.previous_period,
        "n_customers": {"then": ch.n_then, "now": ch.n_now},
        "segments": [
            {
                "name": s.name,
                "status": s.status,
                "previous_name": s.previous_name,
                "size": {"then": s.size_then, "now": s.size_now, "change": None if s.size_then is None else s.size_now - s.size_then},
                "share": {"then": s.share_then, "now": s.share_now, "change": None if s.share_then is None else round(s.share_now - s.share_then, 4)},
                "centroid_drift": s.drift,
            }
            for s in ch.segments
        ],
        "disappeared": [{"name": name, "size_then": size} for name, size in ch.disappeared],
        "migration": {"from": list(ch.rows), "to": list(ch.columns), "counts": [list(r) for r in ch.counts]},
        "new_customers": ch.new_customers,
        "gone_customers": ch.gone_customers,
        "stayed": ch.stayed,
        "moved": ch.moved,
    }


def write_summary(report: Report, folder: Path) -> None:
    (folder / "summary.json").write_text(dumps(summary(report), indent=2) + "\n", encoding="utf-8")
