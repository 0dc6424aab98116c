"""How a file writes money, for `reportgen init`'s draft: a currency named in a column's words
('Net Total (EUR)'), else the sign most money values carry ('$1,234.50', '1.234,50 €')."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def order_currency(path: Path, header: list[str], fields: dict[str, Any]) -> str:
    """The sign an order log's amounts or prices are written with, if any."""
    from .stages import read

    money = [c for c in (fields.get("amount"), fields.get("price")) if c]
    if not money:
        return ""
    frame = read.read(path, header, set()).frame
    return currency_sign([frame[c].astype("string") for c in money if c in frame.columns])


CURRENCY_WORDS = {"eur": "€", "euro": "€", "usd": "$", "gbp": "£", "jpy": "¥", "chf": "CHF", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "aud": "AUD", "cad": "CAD"}


def currency_sign(columns: list[Any]) -> str:
    """The currency sign most money values are written with ('$1,234.50', '1.234,50 €'), if any."""
    counts: dict[str, int] = {}
    for values in columns:
        written = values.dropna().astype(str).head(2000)
        for sign in "$€£¥":
            counts[sign] = counts.get(sign, 0) + int(written.str.contains(sign, regex=False).sum())
    best = max(counts, key=lambda k: counts[k]) if counts else ""
    return best if counts.get(best, 0) else ""


def currency_of_header(header: list[str]) -> str:
    """A currency named in a column's words ('Net Total (EUR)', 'amount_usd'), if exactly one is."""
    from .vocabulary import words

    found = {CURRENCY_WORDS[w] for h in header for w in words(h) if w in CURRENCY_WORDS}
    return found.pop() if len(found) == 1 else ""
