from pathlib import Path

import pandas as pd
import pytest

from reportgen.errors import ConfigError
from reportgen.sample import COLUMNS, PLANTED, generate, write
from reportgen.stages.load import load

from .conftest import settings


def test_same_seed_same_table() -> None:
    assert generate(500, 3).equals(generate(500, 3))
    assert not generate(500, 3).equals(generate(500, 4))


def test_schema_and_planted_shares() -> None:
    frame = generate(1000, 1, with_truth=True)
    assert list(frame.columns) == COLUMNS + ["planted_segment"]
    counts = frame["planted_segment"].value_counts()
    for p in PLANTED:
        assert abs(counts[p.name] / 1000 - p.weight) < 0.01
    assert frame["CustomerID"].iloc[0] == "0001" and frame["CustomerID"].is_unique
    assert frame["Spending Score (1-100)"].between(1, 99).all()


def test_written_sample_loads(tmp_path: Path) -> None:
    for name in ("s.csv", "s.parquet"):
        path = write(generate(50, 2), tmp_path / name)
        assert len(load(settings(data=path)).frame) == 50


def test_bundled_sample_is_made_by_the_generator(tmp_path: Path) -> None:
    """data/README.md's contract: `reportgen sample --out data/sample_customers.csv` gives this file."""
    made = write(generate(600, 2026), tmp_path / "sample_customers.csv")
    assert made.read_bytes() == settings().data_path.read_bytes()


def test_too_few_rows() -> None:
    with pytest.raises(ConfigError):
        generate(5, 1)
