"""What an order log's small results say, in Python: the line counts by status (pass 3) become the
as-of day, the row issues, the top products and the facts the report states; the definitions of the
features name the file's columns they come from. The SQL is in stages/order_sql.py, the engines'
part in stages/transactions.py."""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from ..model import RowIssue
from ..vocabulary import TRANSACTION_FEATURES, feature_name
from .order_sql import (
    AFTER_PERIOD, BAD_DATE, CANCELLED, DATE_HINT, NO_ID, NO_ORDER, NOT_NUMBER, PRICE_NONPOS, PURCHASE, QTY_NONPOS, Columns,
)

if TYPE_CHECKING:
    from ..input_settings import InputSettings


NO_VALUE = (
    "The order log has no value column (an amount, or a quantity and a unit price), so customers are segmented on "
    "recency and frequency only; monetary value, average order value and return rate are not computed."
)


def definitions(cols: Columns) -> dict[str, str]:
    """Each feature (and the customer id) with its definition, naming the file's columns it comes from:
    the same wording as the report's definitions (definitions_text)."""
    orders = (
        f"Number of distinct orders ({cols.order_id}) with at least one purchase line."
        if cols.order_id
        else f"Number of orders, a customer's purchase lines at one date and time ({cols.date}) counting as one order."
    )
    out = {
        "customer_id": cols.customer_id,
        "recency_days": f"Days from the customer's last purchase ({cols.date}) to the as-of day (1 = bought on the last day).",
        "frequency": orders,
        "monetary": f"Total value bought: {_value(cols)} over purchase lines.",
        "tenure_days": f"Days from the customer's first purchase in the file ({cols.date}) to the as-of day.",
        "avg_order_value": "Average value per order: monetary / frequency.",
        "return_rate": "Value cancelled or returned as a share of the value bought (0-1, capped at 1).",
    }
    if not cols.has_value:
        for name in ("monetary", "avg_order_value", "return_rate"):
            del out[name]
    return out


def _value(cols: Columns) -> str:
    return f"sum of {cols.amount}" if cols.uses_amount else f"sum of {cols.quantity} x {cols.price}"


def definitions_text(cols: Columns, as_of: dt.date, end: dt.date) -> str:
    """The report's paragraph of definitions (the appendix, summary.json facts), naming the columns."""
    purchase = f"A purchase is a line with a customer id ({cols.customer_id}), a date ({cols.date})"
    if cols.has_value:
        purchase += ", a positive amount" if cols.uses_amount else ", a positive quantity and price"
    if cols.order_id:
        purchase += f" and an order id ({cols.order_id}) not starting with C and a digit (C536379 cancels an order). "
        orders = "Frequency: distinct orders. "
    else:
        purchase += f"; the file has no order id, so a customer's lines at one date and time ({cols.date}) count as one order. "
        orders = "Frequency: orders so counted. "
    parts = [
        f"As of {as_of.isoformat()} (the day after the last purchase on or before {end.isoformat()}). ",
        purchase, "Recency: days since the last purchase. ", orders,
    ]
    if cols.has_value:
        parts.append(f"Monetary: total value bought ({f'sum of the amounts in {cols.amount}' if cols.uses_amount else f'{cols.quantity} x {cols.price}'}). ")
    parts.append("Tenure: days since the first purchase in the file.")
    if cols.has_value:
        parts.append(" Average order value: monetary / frequency. Return rate: value of cancellations and negative-quantity lines / value bought, capped at 1.")
    else:
        parts.append(" " + NO_VALUE)
    return "".join(parts)


# ---------------------------------------------------------------- deciding from the small results

def period_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:])
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def item_columns(labels: list[str]) -> dict[str, str]:
    """Item text -> a safe, unique column name (spend_<slug>)."""
    used: set[str] = set(TRANSACTION_FEATURES) | {"customer_id"}
    return {label: feature_name(label or "item", used, split_words=False, prefix="spend_") for label in labels}


_REASONS = {
    NO_ID: ("customer_id", "no customer id (line not used)"),
    BAD_DATE: ("date", "date missing or not readable (line not used)"),
    AFTER_PERIOD: ("date", "after the period's last day {end} (ignored for this period)"),
    CANCELLED: ("order_id", "cancellation (order id starts with C and a digit): not a purchase, counted in return_rate"),
    NO_ORDER: ("order_id", "no order id (line not used)"),
    NOT_NUMBER: ("quantity/price", "quantity or price is not a number (line not used)"),
    QTY_NONPOS: ("quantity", "quantity zero or negative: not a purchase, counted in return_rate"),
    PRICE_NONPOS: ("price", "price zero or negative: not a purchase (line not used)"),
}


@dataclass
class Summary:
    """What pass 2 tells: counts by status, the as-of day, the top items, the facts and issues."""

    by_status: dict[int, int]
    as_of: str
    first_day: str
    items: dict[str, str]
    issues: tuple[RowIssue, ...]
    facts: dict[str, str] = field(default_factory=dict)


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.datetime.fromisoformat(str(value)).date()


def summarise(rows: list[tuple[Any, ...]], cols: Columns, source: str, settings: InputSettings, formats: tuple[str, ...]) -> Summary:
    """rows of counts_sql: (status, item, n, revenue, first_ts, last_ts, bad_example)."""
    from ..config import Transactions

    declared = settings.transactions or Transactions()
    top = declared.top_items
    services = [pattern.lower() for pattern in declared.not_products]
    end = period_end(settings.period)
    by_status: dict[int, int] = {}
    revenue: dict[str, float] = {}
    first = last = None
    bad_example = None
    for status, item, n, rev, first_ts, last_ts, example in rows:
        status = int(status)
        by_status[status] = by_status.get(status, 0) + int(n)
        if status == PURCHASE:
            if item is not None and rev is not None:
                revenue[item] = revenue.get(item, 0.0) + float(rev)
            first = first_ts if first is None or (first_ts is not None and first_ts < first) else first
            last = last_ts if last is None or (last_ts is not None and last_ts > last) else last
        if example is not None and (bad_example is None or example < bad_example):
            bad_example = example
    total = sum(by_status.values())
    with_id = total - by_status.get(NO_ID, 0)
    hint_fmt = DATE_HINT
    if total == 0:
        raise DataError(f"{source} has no lines.", "Export the order log again, with its lines.")
    if with_id == 0:
        raise DataError(f"{source}: no line has a customer id in '{cols.customer_id}'.", "RFM needs to know who bought; export the log with customer ids.")
    if by_status.get(BAD_DATE, 0) > with_id / 2:
        raise DataError(
            f"{source}: {by_status[BAD_DATE]:,} of {with_id:,} lines have a date in '{cols.date}' that does not read as {formats[0]} (e.g. {bad_example!r}).",
            hint_fmt,
        )
    if last is None:
        returns = by_status.get(CANCELLED, 0) + by_status.get(QTY_NONPOS, 0)
        if by_status.get(AFTER_PERIOD, 0) and not returns:
            raise DataError(f"{source}: no purchase on or before {end.isoformat()}, the last day of period {settings.period}.", "Choose a later --period.")
        if returns and returns >= with_id - by_status.get(BAD_DATE, 0) - by_status.get(AFTER_PERIOD, 0):
            raise DataError(f"{source}: every line with a customer id is a cancellation or return; there are no purchases.", "Export the sales, not only the cancellations.")
        raise DataError(f"{source}: no purchase line (positive quantity and price, a customer id, a date on or before {end.isoformat()}).", "Check the quantity and price columns.")
    as_of = _day(last) + dt.timedelta(days=1)
    goods = {item: rev for item, rev in revenue.items() if not any(fnmatch.fnmatchcase(item.strip().lower(), p) for p in services)}
    ranked = sorted(goods.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    items = item_columns([label for label, _ in ranked])
    issues = []
    for status, (column, reason) in _REASONS.items():
        n = by_status.get(status, 0)
        if n:
            col = {"customer_id": cols.customer_id, "date": cols.date, "order_id": cols.order_id}.get(column, column)
            if column == "quantity/price" and cols.uses_amount:
                col, reason = str(cols.amount), "amount is not a number (line not used)"
            if column == "quantity" and cols.uses_amount:
                col, reason = str(cols.amount), "amount zero or negative: not a purchase, counted in return_rate"
            elif column in ("quantity", "price"):
                col = getattr(cols, column)
            issues.append(RowIssue(col, reason.format(end=end.isoformat()), n, (), True))
    item_kind = "categories" if cols.category else "products"
    facts = {
        "as_of": as_of.isoformat(),
        "period_end": end.isoformat(),
        "first_purchase": _day(first).isoformat(),
        "last_purchase": _day(last).isoformat(),
        "lines": str(total),
        "purchase_lines": str(by_status.get(PURCHASE, 0)),
        "date_format": formats[0],
        "definitions": definitions_text(cols, as_of, end),
    }
    if items:
        left_out = sorted(set(revenue) - set(goods))
        services_note = f", leaving out service lines such as {', '.join(left_out[:4])}" if left_out else ""
        facts["item_spend"] = (
            f"The top {len(items)} {item_kind} by revenue (column {cols.item}) each get a spend figure per customer{services_note}; "
            "the rest counts in total spend only."
        )
    return Summary(by_status, as_of.isoformat(), _day(first).isoformat(), items, tuple(issues), facts)
