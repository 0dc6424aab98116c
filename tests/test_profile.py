"""stages/profile.py: the aggregates the documents read, checked against pandas on a small table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.model import Clustering, CustomerTable, Profile
from reportgen.engines.local import LocalRows
from reportgen.stages.profile import profile as profile_rows


def profile(table: CustomerTable, clustering: Clustering, points: dict) -> Profile:
    """The stage on one machine's rows, the segments already assigned."""
    return profile_rows(LocalRows(table, clustering.labels), clustering.k, clustering.labels, points)


def _table(frame: pd.DataFrame) -> CustomerTable:
    numeric = tuple(c for c in frame.columns if c != "customer_id")
    return CustomerTable(frame, Path("t.csv"), "0" * 64, len(frame), {}, numeric=numeric)


def _clustering(labels: np.ndarray) -> Clustering:
    k = int(labels.max()) + 1
    return Clustering(k, False, labels, 0.5, 0.5, 100.0, (), tuple(int(n) for n in np.bincount(labels)))


def test_yes_no_flags_and_shares_above_zero() -> None:
    """A 0/1 column is a flag (its mean is a share of customers); a column of 0/1 with one 0.5, a
    column of 0/2 and one with a missing value are told apart; shares above 0 ignore missing values."""
    rng = np.random.default_rng(3)
    n = 300
    labels = np.arange(n) % 3
    frame = pd.DataFrame({
        "customer_id": [str(i) for i in range(n)],
        "complain": (rng.random(n) < 0.1).astype(float),
        "response": np.where(labels == 2, 1.0, 0.0),
        "half": np.r_[0.5, (rng.random(n - 1) < 0.5).astype(float)],
        "twos": (rng.random(n) < 0.3) * 2.0,
        "returns": np.where(rng.random(n) < 0.8, 0.0, rng.random(n)),
        "gappy": np.r_[np.nan, (rng.random(n - 1) < 0.5).astype(float)],
        "signed": rng.normal(0, 1, n),
    })
    prof = profile(_table(frame), _clustering(labels), {})
    assert prof.binary == ("complain", "response", "gappy")
    for name in ("complain", "returns", "gappy", "signed", "twos"):
        values = frame[name]
        assert prof.positive[name] == (values.dropna() > 0).mean()
        for c in range(3):
            members = values[labels == c].dropna()
            assert abs(prof.positive_by_cluster[c][name] - (members > 0).mean()) < 1e-12, (name, c)
    assert [prof.positive_by_cluster[c]["response"] for c in range(3)] == [0.0, 0.0, 1.0]
