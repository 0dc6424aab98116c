"""Generate realistic mall-like customers with planted segments (the bundled sample, tests, benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError


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
