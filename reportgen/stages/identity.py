"""What makes two spellings of a customer id the same customer, on both engines and in Python:
surrounding spaces never count, a whole number written as a decimal ('2.0', '17850.00', as
spreadsheets and float columns write ids) is that number, and an e-mail address is compared without
case (' Anna@Shop.example ' and 'anna@shop.example' are one shopper). Other ids are kept as written:
'00123' and 'AB12' may be codes whose zeros and case matter."""

from __future__ import annotations

import re

from ..sql import quote_text

_DECIMAL_WHOLE = "^([0-9]+)[.]0+$"  # no backslashes: used as they are in both engines' SQL
_EMAIL = "^[^@ ]+@[^@ ]+[.][^@ ]+$"  # name@domain.tld: '@SUM(1+1)' is not an e-mail address
_WHOLE, _MAIL = re.compile(_DECIMAL_WHOLE), re.compile(_EMAIL)


def customer_id_sql(text_sql: str) -> str:
    """A trimmed id text (NULL stays NULL) as the id it stands for. A whole number written as a decimal
    is the text before its point: one regular expression per id, not two (an order log has one id a line)."""
    whole = f"regexp_extract({text_sql}, {quote_text(_DECIMAL_WHOLE)}, 0)"
    return (
        f"(CASE WHEN instr({text_sql}, '.0') > 0 AND {whole} <> '' THEN substr({text_sql}, 1, instr({text_sql}, '.') - 1) "
        f"WHEN instr({text_sql}, '@') > 0 AND regexp_extract({text_sql}, {quote_text(_EMAIL)}, 0) <> '' THEN lower({text_sql}) ELSE {text_sql} END)"
    )


def customer_id(text: str) -> str:
    """customer_id_sql in Python."""
    t = text.strip()
    m = _WHOLE.match(t)
    if m:
        return m.group(1)
    return t.lower() if _MAIL.match(t) else t
