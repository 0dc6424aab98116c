"""Generate realistic data with planted structure (the bundled sample, tests, benchmarks): mall-like
customers with planted segments, and order logs in the Online Retail layout with kinds of buyers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Planted:
    name: str
    weight: float
    income: tuple[float, float]  # mean, sd in k$
    spending: tuple[float, float]  # mean, sd on 1-100
    age: tuple[float, float]  # mean, sd in years


# Shaped after the classic mall data: five groups on the income x spending map.
PLANTED: tuple[Planted, ...] = (
    Planted("Premium spenders", 0.195, (86, 11), (82, 8), (33, 5)),
    Planted("Cautious affluent", 0.175, (88, 12), (17, 9), (41, 11)),
    Planted("Mainstream shoppers", 0.405, (55, 7), (50, 6), (43, 15)),
    Planted("Aspiring spenders", 0.11, (26, 6), (79, 9), (25, 5)),
    Planted("Budget-conscious", 0.115, (26, 6), (20, 10), (45, 13)),
)
COLUMNS = ["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"]


def _sizes(rows: int) -> list[int]:
    sizes = [int(rows * p.weight) for p in PLANTED]
    sizes[2] += rows - sum(sizes)
    return sizes


def _draw(rng: np.random.Generator, truth: np.ndarray, spread: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Income, spending and age for customers of the given planted segments."""
    params = np.array([[*p.income, *p.spending, *p.age] for p in PLANTED])[truth]
    income = np.clip(rng.normal(params[:, 0], params[:, 1] * spread), 12, 150).round()
    spending = np.clip(rng.normal(params[:, 2], params[:, 3] * spread), 1, 99).round()
    age = np.clip(rng.normal(params[:, 4], params[:, 5] * spread), 18, 75).round()
    return income, spending, age


def _next_month(
    rng: np.random.Generator, state: dict[str, np.ndarray], next_id: int, migrate: float, churn: float, spread: float
) -> tuple[dict[str, np.ndarray], int]:
    """One month later: some customers move to another planted segment, some leave, as many join."""
    n = len(state["truth"])
    state = {k: v.copy() for k, v in state.items()}
    movers = rng.choice(n, round(n * migrate), replace=False)
    shift = rng.integers(1, len(PLANTED), len(movers))
    state["truth"][movers] = (state["truth"][movers] + shift) % len(PLANTED)
    state["income"][movers], state["spending"][movers], state["age"][movers] = _draw(rng, state["truth"][movers], spread)
    leavers = rng.choice(n, round(n * churn), replace=False)
    keep = np.ones(n, dtype=bool)
    keep[leavers] = False
    joiners = len(leavers)
    weights = np.array([p.weight for p in PLANTED])
    truth = rng.choice(len(PLANTED), joiners, p=weights / weights.sum())
    income, spending, age = _draw(rng, truth, spread)
    new = {
        "id": np.arange(next_id, next_id + joiners),
        "truth": truth,
        "income": income,
        "spending": spending,
        "age": age,
        "female": rng.random(joiners) < 0.56,
    }
    return {k: np.concatenate([state[k][keep], new[k]]) for k in state}, next_id + joiners


def generate(
    rows: int, seed: int, with_truth: bool = False, month: int = 0, migrate: float = 0.1, churn: float = 0.05, spread: float = 1.0
) -> pd.DataFrame:
    """`rows` customers in the mall schema; the same arguments always give the same table.

    month > 0 gives the same customer base that many months later: each month a share `migrate`
    of the customers moves to another planted segment, a share `churn` leaves and as many join
    with new ids. `spread` scales the segments' spread (below 1: cleanly separated segments).
    """
    if rows < 10:
        raise ConfigError(f"--rows {rows} is too few for a sample.", "Ask for at least 10 rows.")
    if month < 0 or not (0 <= migrate <= 1 and 0 <= churn <= 1 and spread > 0):
        raise ConfigError("--month must be 0 or more, --migrate and --churn between 0 and 1, --spread above 0.", "Fix the option.")
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(PLANTED)), _sizes(rows))
    rng.shuffle(truth)
    income, spending, age = _draw(rng, truth, spread)
    female = rng.random(rows) < 0.56
    state = {"id": np.arange(1, rows + 1), "truth": truth, "income": income, "spending": spending, "age": age, "female": female}
    next_id = rows + 1
    for m in range(1, month + 1):
        state, next_id = _next_month(np.random.default_rng([seed, m]), state, next_id, migrate, churn, spread)
    width = max(4, len(str(rows)))
    frame = pd.DataFrame(
        {
            COLUMNS[0]: np.char.zfill(state["id"].astype(str), width),
            COLUMNS[1]: np.where(state["female"], "Female", "Male"),
            COLUMNS[2]: state["age"].astype(np.int16),
            COLUMNS[3]: state["income"].astype(np.int16),
            COLUMNS[4]: state["spending"].astype(np.int16),
        }
    )
    if with_truth:
        frame["planted_segment"] = np.array([p.name for p in PLANTED])[state["truth"]]
    return frame


def write(frame: pd.DataFrame, out: Path) -> Path:
    """CSV or Parquet by the file's suffix, written by pyarrow (fast enough for 10M rows)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if out.suffix.lower() in (".parquet", ".pq"):
        pq.write_table(table, out)
    else:
        pacsv.write_csv(table, out, pacsv.WriteOptions(quoting_style="needed"))
    return out


# ---------------------------------------------------------------- order logs (transactions)

TX_START = "2010-12-01"
TX_DAYS = 374  # 2010-12-01 .. 2011-12-09, the span of the UCI Online Retail log


@dataclass(frozen=True)
class Buyer:
    """A kind of customer in a synthetic order log: when active, how often and how much they buy."""

    name: str
    weight: float  # share of customers
    start: tuple[float, float]  # first active day, uniform range (0 = 2010-12-01)
    length: tuple[float, float]  # active days, uniform range
    orders_per_month: float
    lines_per_order: float  # mean
    quantity: float  # multiplier of the usual pack quantities


BUYERS: tuple[Buyer, ...] = (
    Buyer("Champions", 0.10, (0, 60), (300, 374), 2.5, 10, 3.0),
    Buyer("Loyal customers", 0.22, (0, 120), (260, 374), 1.2, 8, 1.5),
    Buyer("New customers", 0.12, (340, 372), (0, 30), 0.8, 5, 1.0),
    Buyer("Promising", 0.14, (250, 330), (0, 1), 0.0, 5, 1.0),
    Buyer("At risk", 0.14, (0, 40), (120, 180), 2.0, 8, 2.0),
    Buyer("Hibernating", 0.14, (0, 90), (0, 60), 0.5, 5, 1.0),
    Buyer("Lost", 0.14, (0, 90), (0, 1), 0.0, 4, 0.6),
)
GUEST_SHARE = 0.22  # orders without a customer id (guest checkouts, shop counter)
CANCEL_SHARE = 0.02  # purchase lines cancelled later
_WORDS = (
    ["RED", "BLUE", "PINK", "WHITE", "GREEN", "IVORY", "VINTAGE", "RETROSPOT", "HEART", "STAR", "JUMBO", "SMALL", "LARGE", "ROSE", "PAISLEY", "SPOTTY", "REGENCY", "GLASS"],
    ["HANGING", "CERAMIC", "METAL", "WOODEN", "PAPER", "ENAMEL", "FELT", "TIN", "WICKER", "LACE"],
    ["T-LIGHT HOLDER", "MUG", "LUNCH BAG", "CAKESTAND", "BUNTING", "DOORMAT", "SIGN", "JAR", "CANDLE", "NAPKINS", "CUSHION COVER", "CLOCK", "BOX", "PURSE", "TEA SET", "PHOTO FRAME"],
)
_COUNTRIES = ["United Kingdom"] * 18 + ["Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland", "Australia"]
_PACKS = np.array([1, 2, 3, 4, 6, 8, 10, 12, 24, 48])
_PACK_P = np.array([0.22, 0.14, 0.07, 0.08, 0.12, 0.04, 0.06, 0.17, 0.07, 0.03])


def _catalogue(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Stock codes, descriptions, unit prices and popularity of n products."""
    a, b, c = (rng.integers(0, len(w), n) for w in _WORDS)
    names = [f"{_WORDS[0][i]} {_WORDS[1][j]} {_WORDS[2][k]}" for i, j, k in zip(a, b, c)]
    seen: dict[str, int] = {}
    descriptions = []
    for name in names:  # one description per stock code, as in the real log
        seen[name] = seen.get(name, 0) + 1
        descriptions.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    codes = [f"{20000 + i * 7}" + ("ABC"[i % 3] if i % 5 == 0 else "") for i in range(n)]
    price = np.round(np.exp(rng.normal(0.9, 0.8, n)), 2).clip(0.19, 60)
    popularity = 1.0 / np.arange(1, n + 1) ** 0.9
    rng.shuffle(popularity)
    return codes, descriptions, price, popularity / popularity.sum()


def _orders(rng: np.random.Generator, customers: int, guest_orders: int) -> dict[str, np.ndarray]:
    """One entry per order: buyer index (-1 for a guest), kind, day, minute of day, number of lines."""
    weights = np.array([b.weight for b in BUYERS])
    kind = rng.choice(len(BUYERS), customers, p=weights / weights.sum())
    params = np.array([[*b.start, *b.length, b.orders_per_month, b.lines_per_order, b.quantity] for b in BUYERS])[kind]
    start = rng.uniform(params[:, 0], params[:, 1])
    end = np.minimum(start + rng.uniform(params[:, 2], params[:, 3]), TX_DAYS - 1)
    n_orders = 1 + rng.poisson(params[:, 4] * (end - start) / 30.0)
    who = np.repeat(np.arange(customers), n_orders)
    day = rng.uniform(start[who], end[who])
    guests = np.full(guest_orders, -1)
    who = np.concatenate([who, guests])
    day = np.concatenate([day, rng.uniform(0, TX_DAYS - 1, guest_orders)]).astype(np.int32)
    kinds = np.concatenate([kind[who[: len(who) - guest_orders]], np.full(guest_orders, -1)])
    mean_lines = np.where(kinds >= 0, params[np.clip(who, 0, None), 5] if customers else 8.0, 8.0)
    lines = rng.geometric(1.0 / mean_lines)
    minute = rng.integers(8 * 60, 19 * 60, len(who))
    return {"who": who, "kind": kinds, "day": day, "minute": minute, "lines": np.maximum(lines, 1)}


def generate_transactions(rows: int, seed: int, with_truth: bool = False) -> pa.Table:
    """`rows` order lines in the UCI Online Retail layout (same arguments, same lines).

    Several kinds of buyers (BUYERS: champions, loyal, new, one-off, at risk, hibernating, lost)
    are active at different times with different order rates and baskets, so RFM segments exist.
    About 22% of orders have no customer id, 2% of purchase lines are cancelled later (invoice
    "C..." with a negative quantity), a few lines have price 0. Dates read like the original export,
    US month-first with a two-digit year ("12/1/10 8:26"); customer ids like "17850.0".
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if rows < 100:
        raise ConfigError(f"--rows {rows} is too few for an order log.", "Ask for at least 100 lines.")
    rng = np.random.default_rng(seed)
    codes, descriptions, price, popularity = _catalogue(rng, 3000 if rows >= 30_000 else 400)
    per_customer = sum(b.weight * (1 + b.orders_per_month * (b.length[0] + b.length[1]) / 60) * b.lines_per_order for b in BUYERS)
    customers = max(20, int(rows * (1 - GUEST_SHARE) / per_customer / (1 + CANCEL_SHARE)))
    guest_orders = max(1, int(rows * GUEST_SHARE / 8))
    orders = _orders(rng, customers, guest_orders)
    # order-level -> line-level, trimmed to the number of lines asked for (cancellations included)
    purchases = int(round(rows / (1 + CANCEL_SHARE)))
    order_of_line = np.repeat(np.arange(len(orders["who"])), orders["lines"])
    if len(order_of_line) < purchases:  # too few: repeat lines of random orders
        extra = rng.choice(order_of_line, purchases - len(order_of_line))
        order_of_line = np.concatenate([order_of_line, extra])
    order_of_line = np.sort(rng.choice(order_of_line, purchases, replace=False))
    n_cancel = rows - purchases
    kind = orders["kind"][order_of_line]
    mult = np.where(kind >= 0, np.array([b.quantity for b in BUYERS])[np.clip(kind, 0, None)], 1.0)
    product = rng.choice(len(codes), purchases, p=popularity)
    quantity = np.maximum(1, np.round(rng.choice(_PACKS, purchases, p=_PACK_P) * mult)).astype(np.int64)
    unit = price[product].copy()
    unit[rng.random(purchases) < 0.001] = 0.0
    day = orders["day"][order_of_line].astype(np.int64)
    minute = orders["minute"][order_of_line].astype(np.int64)
    who = orders["who"][order_of_line]
    # order numbers follow time, as in the real log
    order_time = orders["day"].astype(np.int64) * 1440 + orders["minute"]
    number = np.empty(len(order_time), dtype=np.int64)
    number[np.argsort(order_time, kind="stable")] = 536365 + np.arange(len(order_time))
    invoice = number[order_of_line]
    cancelled = np.zeros(purchases, dtype=bool)
    # cancellations: copies of earlier lines of customers, a few days later, negative quantity
    if n_cancel:
        known = np.flatnonzero(who >= 0)
        pick = rng.choice(known, n_cancel, replace=len(known) < n_cancel)
        c_day = np.minimum(day[pick] + rng.integers(0, 15, n_cancel), TX_DAYS - 1)
        c_minute = rng.integers(8 * 60, 19 * 60, n_cancel)
        c_number = 536365 + len(order_time) + np.arange(n_cancel)
        product = np.concatenate([product, product[pick]])
        quantity = np.concatenate([quantity, -quantity[pick]])
        unit = np.concatenate([unit, unit[pick]])
        day, minute = np.concatenate([day, c_day]), np.concatenate([minute, c_minute])
        who, invoice = np.concatenate([who, who[pick]]), np.concatenate([invoice, c_number])
        cancelled = np.concatenate([cancelled, np.ones(n_cancel, dtype=bool)])
        kind = np.concatenate([kind, kind[pick]])
    order = np.lexsort((invoice, day * 1440 + minute))
    product, quantity, unit, day, minute, who, invoice, cancelled, kind = (
        a[order] for a in (product, quantity, unit, day, minute, who, invoice, cancelled, kind)
    )
    # text through small lookup tables (formatting millions of values one by one is slow)
    start = np.datetime64(TX_START)
    day_text = [f"{d.month}/{d.day}/{d.year % 100:02d}" for d in (start + np.arange(TX_DAYS)).astype(object)]
    minute_text = [f"{m // 60}:{m % 60:02d}" for m in range(1440)]
    date_idx = day * 1440 + minute
    uniq, inverse = np.unique(date_idx, return_inverse=True)
    date_table = pa.array([f"{day_text[u // 1440]} {minute_text[u % 1440]}" for u in uniq.tolist()])
    inv_uniq, inv_inverse = np.unique(invoice, return_inverse=True)
    inv_text = pc.cast(pa.array(inv_uniq), pa.string())
    inv_col = pc.take(inv_text, pa.array(inv_inverse))
    inv_col = pc.if_else(pa.array(cancelled), pc.binary_join_element_wise("C", inv_col, ""), inv_col)
    ids = pa.array([f"{12346 + i}.0" for i in range(customers)] + [None])
    countries = pa.array(np.array(_COUNTRIES)[rng.integers(0, len(_COUNTRIES), customers + 1)].tolist())
    countries = pc.if_else(pa.array(np.arange(customers + 1) == customers), pa.scalar("United Kingdom"), countries)
    who_idx = pa.array(np.where(who >= 0, who, customers))
    table = pa.table(
        {
            "InvoiceNo": inv_col,
            "StockCode": pc.take(pa.array(codes), pa.array(product)),
            "Description": pc.take(pa.array(descriptions), pa.array(product)),
            "Quantity": pa.array(quantity),
            "InvoiceDate": pc.take(date_table, pa.array(inverse)),
            "UnitPrice": pa.array(unit),
            "CustomerID": pc.take(ids, who_idx),
            "Country": pc.take(countries, who_idx),
        }
    )
    if with_truth:
        names = pa.array([b.name for b in BUYERS] + ["guest"])
        table = table.append_column("customer_type", pc.take(names, pa.array(np.where(kind >= 0, kind, len(BUYERS)))))
    return table


def write_transactions(table: pa.Table, out: Path) -> Path:
    """CSV (missing ids as empty fields) or Parquet by the file's suffix."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".parquet", ".pq"):
        pq.write_table(table, out)
    else:
        pacsv.write_csv(table, out, pacsv.WriteOptions(quoting_style="needed", batch_size=1 << 16))
    return out
