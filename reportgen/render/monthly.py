"""The view's words for what changed since last month: plain sentences, then the table of segments
then and now (moved from render/view.py to keep modules under 400 lines)."""

from __future__ import annotations

import calendar
from typing import Any

from ..model import Report
from ..stages.members import HOLDS
from .fmt import color, fmt_int, fmt_pct, fmt_role
from .measures import display_for


def period_label(period: str) -> str:
    year, month = period.split("-")
    return f"{calendar.month_name[int(month)]} {year}"


def _signed(n: float) -> str:
    return f"+{fmt_int(n)}" if n > 0 else ("±0" if n == 0 else f"−{fmt_int(-n)}")


def change_sentences(report: Report) -> list[str]:
    """What changed since the previous period, in plain sentences."""
    ch = report.changes
    if ch is None:
        return []
    prev = period_label(ch.previous_period)
    if ch.n_now == ch.n_then:
        sentences = [f"Compared with {prev}: {fmt_int(ch.n_now)} customers analysed, as many as then."]
    else:
        sentences = [f"Compared with {prev}: {fmt_int(ch.n_now)} customers analysed, {_signed(ch.n_now - ch.n_then)} on {fmt_int(ch.n_then)}."]
    for s in ch.segments:
        if s.status == "new":
            sentences.append(f"New segment: {s.name} ({fmt_int(s.size_now)} customers, {fmt_pct(s.share_now)}).")
        elif s.status == "renamed":
            why = f"only {fmt_pct(s.old_name_fit, 0)} of them still meet the rule of {s.previous_name} (a name needs {fmt_pct(HOLDS, 0)})" if s.old_name_fit is not None else "the profile of these customers changed"
            sentences.append(f"{s.previous_name} is now called {s.name}: {why}.")
    for name, size in ch.disappeared:
        sentences.append(f"{name} ({fmt_int(size)} customers in {prev}) no longer forms a segment.")
    kept = [s for s in ch.segments if s.share_then is not None and s.size_then is not None]
    for s in sorted(kept, key=lambda s: -abs(s.share_now - (s.share_then or 0)))[:2]:
        delta = s.share_now - (s.share_then or 0)
        if abs(delta) >= 0.01:
            verb = "grew" if delta > 0 else "shrank"
            sentences.append(f"{s.name} {verb} from {fmt_int(s.size_then or 0)} to {fmt_int(s.size_now)} customers ({fmt_pct(s.share_then or 0)} → {fmt_pct(s.share_now)}).")
    returning = ch.stayed + ch.moved
    if returning:
        sentences.append(
            f"Of {fmt_int(returning)} returning customers, {fmt_int(ch.moved)} ({fmt_pct(ch.moved / returning)}) moved to another segment; "
            f"{fmt_int(ch.new_customers)} customers are new and {fmt_int(ch.gone_customers)} have gone."
        )
    return sentences


def changes(report: Report) -> dict[str, Any] | None:
    """The 'What changed' block: plain sentences first, then the table."""
    ch = report.changes
    if ch is None:
        return None
    prev = period_label(ch.previous_period)
    by_name = {s.name: s for s in report.segments}
    sentences = change_sentences(report)
    display = lambda f: display_for(report, f)  # noqa: E731
    rows = []
    for s in ch.segments:
        seg = by_name[s.name]
        drift = ", ".join(
            f"{display(r).label.lower()} {'+' if v >= 0 else '−'}{fmt_role(abs(v), display(r))}" for r, v in s.drift.items() if abs(v) >= 0.5
        )
        rows.append(
            {
                "name": s.name,
                "color": color(seg.colour),
                "then": fmt_int(s.size_then) if s.size_then is not None else "–",
                "now": fmt_int(s.size_now),
                "change": _signed(s.size_now - s.size_then) if s.size_then is not None else "new",
                "share": f"{fmt_pct(s.share_then)} → {fmt_pct(s.share_now)}" if s.share_then is not None else fmt_pct(s.share_now),
                "status": {"kept": "", "renamed": f"was {s.previous_name}", "new": "new this month"}[s.status],
                "drift": drift or "little change",
            }
        )
    gone = [{"name": name, "then": fmt_int(size)} for name, size in ch.disappeared]
    return {"previous_label": prev, "sentences": sentences, "rows": rows, "disappeared": gone}
