"""What segments_file.py writes for numbers at the edge of what a double holds: segments.csv keeps a
finite 1e308 finite (rounding to 6 decimals once multiplied it into inf)."""

from __future__ import annotations

import pytest

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.segments_file import _decimal_text, _number_text


def test_huge_finite_numbers_stay_finite_as_text() -> None:
    values = np.array([1e308, 1.7976931348623157e308, -1e308, 1e300, 123.4567891, np.nan, 40.0, -0.0000004])
    assert _number_text(values).to_pylist() == ["1e+308", "1.7976931348623157e+308", "-1e+308", "1e+300", "123.456789", "", "40", "-0"]


def test_whole_numbers_read_as_the_float_text_did() -> None:
    """Whole numbers take Arrow's integer text (the fast path); every value must read exactly as the
    float text writes it, at the edges too (-0, 1e9, 1e10 where Arrow turns to an exponent, 2**53)."""
    rng = np.random.default_rng(5)
    edges = [0.0, -0.0, 1.0, -1.0, 1e9 - 1, 1e9, -1e9, 1e10, 1e10 - 1, 2.0**53, 0.5, -2.5, 1e-7, np.inf, -np.inf, np.nan]
    values = np.concatenate([edges, rng.integers(-(10**11), 10**11, 5000).astype(np.float64), rng.integers(0, 200, 5000) / 4])
    assert _number_text(values).to_pylist() == _decimal_text(values).to_pylist()


@pytest.mark.e2e  # a whole report
def test_segments_csv_carries_a_finite_1e308(tmp_path: Path) -> None:
    lines = ["CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100),Balance"]
    for i in range(40):
        balance = "1e308" if i == 5 else "-1.7976931348623157e308" if i == 6 else str(100 + i)
        lines.append(f"{i + 1},Female,{20 + i},{20 + (i % 3) * 40 + i % 5},{10 + (i % 3) * 30},{balance}")
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "c.yaml").write_text(
        "data: t.csv\ncolumns:\n  customer_id: CustomerID\n  income: Annual Income (k$)\n  spending: Spending Score (1-100)\n  balance: Balance\n"
        "features: [income, spending]\n"
    )
    result = CliRunner().invoke(cli, ["run", "--config", str(tmp_path / "c.yaml"), "--period", "2026-11", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "out" / "2026-11" / "segments.csv", dtype={"customer_id": str}).set_index("customer_id")["balance"]
    assert written["6"] == 1e308 and written["7"] == -1.7976931348623157e308 and np.isfinite(written).all()
