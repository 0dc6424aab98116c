"""Which column of an order log plays which role (customer id, order id, date, quantity, price or
amount, product, category): declared in the settings, else recognised by the usual names and then by
the words of the column names. Where two columns fit a role the run needs equally well, the run
asks (exit 2) instead of guessing; `reportgen init` drafts the first and marks the choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import DataError
from ..suggest import did_you_mean, names
from ..vocabulary import ORDER_COLUMNS, ORDER_ROLES, candidates, find_column
from .order_sql import Columns

if TYPE_CHECKING:
    from ..input_settings import InputSettings


def _roles(header: list[str]) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """Each role's column, and the roles whose best column cannot be told from another (the tied
    columns, for the caller to ask about when it needs the role). Usual names first, then, for the
    roles still open, the words of the remaining column names ('Buyer Ref', 'Ordered At'), ranked by
    vocabulary.candidates."""
    found: dict[str, str | None] = {}
    ties: dict[str, list[str]] = {}
    taken: set[str] = set()
    for by_words in (False, True):
        for role in ORDER_ROLES:
            if found.get(role) is not None:
                continue
            free = [h for h in header if h not in taken]
            options = candidates(role, free) if by_words else [c for c in (find_column(ORDER_COLUMNS[role], free),) if c is not None and candidates(role, [c])]
            found[role] = options[0] if options else None
            if len(options) > 1:
                ties[role] = options
            if options:
                taken.add(options[0])
    return found, ties


def _auto(header: list[str]) -> dict[str, str | None]:
    return _roles(header)[0]


def recognise(header: list[str], settings: InputSettings) -> bool:
    """True when the header may be an order log's: declared by `settings.transactions`, or a customer
    id and a date recognised by name. Whether it is one the data tells (transactions.is_order_log: a
    customer id that repeats); an order id and a value are optional (a customer's lines at one date
    and time are one order; without a value, customers are segmented on recency and frequency)."""
    if settings.transactions is not None:
        return True
    found = _auto([h.strip() for h in header])
    return found["customer_id"] is not None and found["date"] is not None


def _open_questions(found: dict[str, str | None], ties: dict[str, list[str]]) -> dict[str, list[str]]:
    """The roles the run needs whose column cannot be told (date, and the value's columns)."""
    used = ["date", "amount"] if found["quantity"] is None or found["price"] is None else ["date", "quantity", "price"]
    return {role: ties[role] for role in used if role in ties and found[role] in ties[role]}


def questions(header: list[str]) -> dict[str, list[str]]:
    """Roles of an undeclared order log that two or more columns fit equally well, with those
    columns (reportgen init drafts the first and marks the choice)."""
    found, ties = _roles([h.strip() for h in header])
    if found["quantity"] is not None and found["price"] is not None:
        found["amount"] = None
    return _open_questions(found, ties)


ROLE_WORDS = {
    "customer_id": "the customer id", "order_id": "the order (invoice) id", "date": "the order date", "amount": "the line's value (amount)",
    "quantity": "the quantity", "price": "the unit price", "product": "the product", "category": "the category",
}


def resolve(header: list[str], settings: InputSettings, source: str) -> Columns:
    """The columns to use: declared ones (each checked against the header), the rest recognised by
    name. A role that two columns fit equally well is asked about (exit 2), never guessed."""
    header = [h.strip() for h in header]
    declared = settings.transactions
    found: dict[str, str | None] = {r: None for r in ORDER_ROLES}
    for role in ORDER_ROLES:
        name = getattr(declared, role, None) if declared is not None else None
        if name is None:
            continue
        if name not in header:
            hint = did_you_mean(name, header, listing="Its columns are")
            raise DataError(f"{source}: setting transactions.{role} names column '{name}', which the file does not have.", hint)
        found[role] = name
    auto, ties = _roles([h for h in header if h not in set(v for v in found.values() if v)])
    for role in ORDER_ROLES:
        if found[role] is None:
            found[role] = auto[role]
        else:
            ties.pop(role, None)
    if declared is not None and declared.amount is not None and (declared.quantity is None or declared.price is None):
        found["quantity"] = found["price"] = None  # the declared amount is the line's value
    elif found["quantity"] is not None and found["price"] is not None:
        found["amount"] = None
    for role, what in (("customer_id", "the customer id"), ("date", "the order date")):
        if found[role] is None:
            raise DataError(
                f"{source}: no column for {what} (transactions.{role}) among: {names(header)}.",
                f"Name it in the config, e.g. transactions: {{{role}: <column>}}.",
            )
    if found["amount"] is not None or found["quantity"] is None or found["price"] is None:
        found["quantity"] = found["price"] = None  # an amount, or no value: a lone quantity or price is no line value
    for role, tied in _open_questions(found, ties).items():
        listed = ", ".join(f"'{c}'" for c in tied)
        raise DataError(
            f"{source}: cannot tell which column holds {ROLE_WORDS[role]}: {listed} fit equally well.",
            f"Name it in the config: transactions: {{{role}: <column>}} ('reportgen init --data {source}' drafts the settings and marks the choice).",
        )
    from .read import refuse_indistinct

    refuse_indistinct(source, header, [c for c in found.values() if c])
    return Columns(
        customer_id=str(found["customer_id"]), order_id=found["order_id"], date=str(found["date"]),
        quantity=found["quantity"], price=found["price"], amount=found["amount"],
        product=found["product"], category=found["category"],
        date_format=declared.date_format if declared is not None else None,
    )
