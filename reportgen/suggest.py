""""Did you mean ...?": the one way a misspelt name is answered, for settings keys, columns, features,
rule files and order-log roles alike."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def norm(name: str) -> str:
    """A name as people mean it: lower case, letters and digits only ('Annual Income (k$)' -> 'annualincomek')."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def closest(word: str, options: Iterable[str], cutoff: float = 0.5, prefix: bool = True) -> str | None:
    """The option the word most likely meant. With `prefix`, a name the word starts (recency ->
    recency_days) beats a merely similar one (frequency); then spelling, then spelling without case
    and punctuation."""
    options = list(options)
    if prefix and norm(word):
        starts = [o for o in options if norm(o).startswith(norm(word))]
        if starts:
            return starts[0]
    match = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    if match:
        return match[0]
    normed = {norm(o): o for o in options}
    match = difflib.get_close_matches(norm(word), list(normed), n=1, cutoff=max(cutoff, 0.6))
    return normed[match[0]] if match else None


def did_you_mean(word: str, options: Iterable[str], listing: str | None = "Available", cutoff: float = 0.5, prefix: bool = True) -> str:
    """"Did you mean 'x'?" for the closest option; else "<listing>: a, b, c." (at most 30), or ""
    when `listing` is None."""
    options = list(options)
    match = closest(word, options, cutoff, prefix)
    if match is not None:
        return f"Did you mean '{match}'?"
    if listing is None:
        return ""
    return f"{listing}: {names(options)}."


def names(options: Iterable[str], most: int = 30) -> str:
    """'a, b, c' for a message: at most `most` names, each cut to 40 characters, then how many more."""
    options = [o if len(o) <= 40 else o[:39] + "…" for o in options]
    more = f" and {len(options) - most} more" if len(options) > most else ""
    return ", ".join(options[:most]) + more


def closest_to_any(names: Iterable[str], options: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The option most like any of several usual names of one thing (a column for 'income' among
    'Annual Income (k$)', 'Income', ...), compared without case and punctuation."""
    best, best_score = None, 0.0
    for option in options:
        for name in names:
            score = difflib.SequenceMatcher(None, norm(option), norm(name)).ratio()
            if score > best_score:
                best, best_score = option, score
    return best if best_score >= cutoff else None
