"""The view's words for how far the segments can be believed and where the numbers come from: the
confidence in plain words (said once, in the summary), each segment's reliability, what the counts
count, the data quality block and how the segments got their names."""

from __future__ import annotations

from typing import Any

from ..model import DISSOLVES, STABLE, Alternative, Confidence, Report
from ..stages.members import HOLDS
from .fmt import fmt_int, fmt_num, fmt_pct

def reliability(stability: float | None) -> dict[str, Any]:
    """The segment's bootstrap stability as a statement about the segment (not about its customers),
    judged as printed: 0.7499 reads 0.75, reliable."""
    if stability is None:
        return {"word": "", "verdict": "", "sentence": "", "tentative": False, "figure": ""}
    shown = round(stability, 2)
    figure = fmt_num(stability, 2)
    if shown >= STABLE:
        word, verdict = "stable", "is stable"
        sentence = f"Reliable segment: it comes back when the customers are resampled ({figure} of 1)."
    elif shown >= DISSOLVES:
        word, verdict = "unstable", "is unstable"
        sentence = f"Tentative segment: it only partly comes back when the customers are resampled ({figure} of 1; reliable from {fmt_num(STABLE)})."
    else:
        word = verdict = "dissolves when resampled"
        sentence = f"Unreliable segment: it falls apart when the customers are resampled ({figure} of 1; reliable from {fmt_num(STABLE)})."
    return {"word": word, "verdict": verdict, "sentence": sentence, "tentative": shown < STABLE, "figure": figure}


# How sure we are, in plain words, said once (the executive summary); the appendix gives the figures.
CONFIDENCE_WORDS = {
    "strong": "Confident. The customers fall into distinct groups, and the segments come back when the data are resampled.",
    "moderate": "Fairly sure. The segments are real tendencies in the data, but their edges are soft: customers near a "
    "boundary could belong to either side.",
    "weak": "Not very. These customers form a continuum: the segments are useful slices, not natural groups, so test "
    "campaigns on a small group before spending much.",
}


def trust(report: Report) -> dict[str, Any]:
    t = report.trust
    if t is None:
        return {"level": "", "sentence": "", "figures": [], "alternatives": [], "alternatives_sentence": "", "reasons": []}
    c = t.confidence
    return {
        "level": c.level,
        "sentence": CONFIDENCE_WORDS.get(c.level, confidence_sentence(c)),
        "figures": [
            {"name": "Clustering tendency (Hopkins)", "value": fmt_num(c.hopkins),
             "reading": "0.5 when customers are spread evenly; higher when they bunch up, which skewed measures do too, so it is read with the silhouette"},
            {"name": "Silhouette of the segments", "value": fmt_num(c.silhouette), "reading": f"against {fmt_num(c.reference_silhouette)} that K-Means reaches on structureless customers like these"},
            {"name": "Mean stability when resampled", "value": fmt_num(c.stability), "reading": f"0 to 1; {fmt_num(STABLE)} and up: the segments hold on another sample"},
        ],
        "reasons": [r[0].upper() + r[1:] for r in c.reasons],
        "alternatives": [{"method": a.method, "k": a.k, "silhouette": fmt_num(a.silhouette), "agreement": fmt_num(a.agreement)} for a in t.alternatives],
        "alternatives_sentence": alternatives_sentence(t.alternatives),
    }


SAME = 0.75  # agreement (adjusted Rand) from which two methods find "much the same" segments
APART = 0.5  # below this they draw the lines elsewhere
# summary.json's statement of each confidence level (the documents say it as CONFIDENCE_WORDS)
STATEMENTS = {
    "strong": "strong: the customers fall into distinct groups, and the segments come back when the data are resampled.",
    "moderate": "moderate: the segments are real tendencies in the data, but their edges are soft; "
    "customers near a boundary could belong to either side.",
    "weak": "weak: these customers form a continuum; the segments are useful slices, not natural groups.",
}


def confidence_sentence(conf: Confidence) -> str:
    """One plain sentence for the reader, starting with the level's word."""
    return STATEMENTS[conf.level]


def alternatives_sentence(alternatives: tuple[Alternative, ...]) -> str:
    """What the other methods say about the segments, in one sentence."""
    if not alternatives:
        return "No other method was compared: too few distinct customers."
    figures = " and ".join(f"{a.agreement:.2f}" for a in alternatives)
    if all(a.agreement >= SAME for a in alternatives):
        return f"Two other methods find much the same segments (agreement {figures}): the segments do not depend on the method."
    if all(a.agreement < APART for a in alternatives):
        return (
            f"Two other methods draw the lines elsewhere (agreement {figures}): the segments depend on the method, "
            "so treat them as one useful way to slice the customers."
        )
    parts = [f"{a.method} {_alike(a.agreement)} ({a.agreement:.2f})" for a in alternatives]
    return f"Other methods partly agree — {'; '.join(parts)}: the broad lines hold, the exact borders depend on the method."


def _alike(agreement: float) -> str:
    if agreement >= SAME:
        return "finds much the same segments"
    if agreement >= APART:
        return "finds broadly similar segments"
    return "draws the lines elsewhere"


def left_out_because(report: Report) -> str:
    """Why customers were left out, in the words of the data-quality table: an order log's customers
    with no purchase are not missing values."""
    t = report.table
    prefix = "customers left out: "
    reasons = [i.reason.removeprefix(prefix) for i in t.issues if i.reason.startswith(prefix)]
    if reasons and t.kind == "transactions" and sum(i.rows for i in t.issues if i.reason.startswith(prefix)) == t.n_dropped:
        return "; ".join(reasons)
    return "of missing or invalid values"


def counts_sentence(report: Report) -> str:
    """What was read and what was analysed, each count naming what it counts."""
    t = report.table
    left_out = f"{fmt_int(t.n_dropped)} left out because {left_out_because(report)}" if t.n_dropped else "none left out"
    lines = t.facts.get("lines")
    if t.kind == "transactions" and lines is not None:
        purchases = t.facts.get("purchase_lines")
        bought = f", {fmt_int(int(purchases))} of them purchases" if purchases is not None else ""
        return f"{fmt_int(int(lines))} order lines read{bought}; {fmt_int(t.n_customers)} customers analysed, {left_out}."
    return f"{fmt_int(t.n_read)} rows read, one customer each; {fmt_int(t.n_customers)} customers analysed, {left_out}."


def quality(report: Report) -> dict[str, Any]:
    t = report.table
    issues = [
        {
            "column": i.column,
            "reason": i.reason,
            "rows": fmt_int(i.rows),
            "lines": ", ".join(str(n) for n in i.examples) + (" …" if i.rows > len(i.examples) else ""),
            "effect": "row dropped" if i.dropped else "value ignored",
        }
        for i in t.issues
    ]
    unit = "lines" if t.kind == "transactions" else "rows"
    return {
        "source": t.source.name,
        "checksum": t.checksum[:12],
        "n_read": fmt_int(t.n_read),
        "n_used": fmt_int(t.n_customers),
        "n_dropped": fmt_int(t.n_dropped),
        "left_out_because": left_out_because(report),
        "counts": counts_sentence(report),
        "unit": unit,
        "columns": [{"role": role, "column": col} for role, col in t.columns.items()],
        "kind": t.kind,
        "facts": {key: t.facts.get(key, "") for key in ("as_of", "definitions", "dates_to", "item_spend")},
        "issues": issues,
        "examples": any(i.examples for i in t.issues),  # order logs are read in bulk and list none
        # an order log's note repeats the counts sentence's numbers: said once, there
        "notes": [n for n in t.notes if not (t.kind == "transactions" and n.startswith("Order log:"))],
    }


def _pack_name(path: str) -> str:
    """A rule pack as a reader knows it: a bundled pack's name ('rfm'), else its folder's name."""
    from pathlib import Path

    folder = Path(path).parent
    bundled = folder.name in ("mall", "rfm") and folder.parent.name in ("rules", "_bundled")
    return f"'{folder.name}'" + (" (bundled)" if bundled else "")


def naming(report: Report) -> dict[str, Any]:
    """How the names were given, in words, for the appendix."""
    n = report.naming
    if n is None:
        return {"sentences": []}
    label = lambda f: report.presentation.display(f).label.lower()  # noqa: E731
    pack = _pack_name(n.rules)
    out = []
    if n.how == "data":
        out.append(f"The rule pack ({pack}) does not judge {', '.join(label(f) for f in n.unjudged)}, which the segments were formed on, so they are named from the data.")
    else:
        out.append(f"Names come from the rule pack {pack}, which judged {', '.join(label(f) for f in n.judged)} this month.")
    if n.how == "clusters":
        out.append(f"Each segment's name holds for at least {fmt_pct(HOLDS, 0)} of its customers: their own values satisfy the rule that named it (name fit).")
    elif n.how == "by name":
        weak = ", ".join(f"{name} {fmt_pct(fit, 0)}" for name, fit in n.cluster_fits if fit < HOLDS)
        out.append(
            f"The first {len(n.cluster_fits)} clusters' names did not hold for enough of their customers ({weak}), so the customers were clustered into "
            f"{n.fine_k} finer groups; each group took the name that holds for most of its customers, a customer whose own values satisfy "
            f"another segment's rule joined that segment, and groups with the same name form one segment."
        )
    for name, size in n.folded:
        out.append(f"{fmt_int(size)} customers are {name} by their own values, too few for a segment of their own: they stay in their group's segment.")
    r = report.profile.rhythm
    if r is not None and r.cycle_days is not None:
        out.append(
            f"Recency is judged against this shop's buying cycle: customers who ordered more than once reorder every {r.cycle_days:.0f} days "
            f"(median of {fmt_int(r.repeat_customers)} repeat customers); the log covers {r.history_days:.0f} days."
        )
    if n.kept_cuts:
        out.append(
            f"The level cuts of {', '.join(label(f) for f in n.kept_cuts)} moved by less than a tenth since last month, so they were kept where they were: "
            f"customers who did nothing different keep their levels and their segment's name."
        )
    return {"sentences": out}


# ---------------------------------------------------------------- the analysis' warnings (PDF, email, summary.json, stderr)


def constant_feature(label: str) -> str:
    return f"{label} is the same for every customer, so it cannot tell segments apart; leave it out of features."


def no_forecast(reason: str) -> str:
    return f"No predictions of what the customers will buy next: {reason}."


def no_currency(value_label: str) -> str:
    return f"Amounts ({value_label.lower()}, revenue) are shown without a currency: the settings do not say which; set report.currency (for example currency: \"£\")."


def naming_warnings(naming: Any, prof: Any) -> tuple[str, ...]:
    """What the reader must know before trusting the names: a log too short to judge recency, no
    buying cycle, names that hold for too few of their customers."""
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
