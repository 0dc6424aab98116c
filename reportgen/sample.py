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


def generate(rows: int, seed: int, with_truth: bool = False) -> pd.DataFrame:
    """`rows` customers in the mall schema; the same rows and seed always give the same table."""
    if rows < 10:
        raise ConfigError(f"--rows {rows} is too few for a sample.", "Ask for at least 10 rows.")
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(PLANTED)), _sizes(rows))
    rng.shuffle(truth)
    params = np.array([[*p.income, *p.spending, *p.age] for p in PLANTED])[truth]
    income = np.clip(rng.normal(params[:, 0], params[:, 1]), 12, 150).round()
    spending = np.clip(rng.normal(params[:, 2], params[:, 3]), 1, 99).round()
    age = np.clip(rng.normal(params[:, 4], params[:, 5]), 18, 75).round()
    gender = np.where(rng.random(rows) < 0.56, "Female", "Male")
    width = max(4, len(str(rows)))
    ids = np.char.zfill(np.arange(1, rows + 1).astype(str), width)
    frame = pd.DataFrame(
        {
            COLUMNS[0]: ids,
            COLUMNS[1]: gender,
            COLUMNS[2]: age.astype(np.int16),
            COLUMNS[3]: income.astype(np.int16),
            COLUMNS[4]: spending.astype(np.int16),
        }
    )
    if with_truth:
        frame["planted_segment"] = np.array([p.name for p in PLANTED])[truth]
    return frame


def write(frame: pd.DataFrame, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)
    return out
