"""One analysis, two engines: the shared data sets and a Windows-1252 ';' table written out by one
machine and by Spark (local[2]) give the same summary.json and segments.csv."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportgen.pipeline import analyse
from reportgen.settings_file import load_settings

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def windows_1252_table(path: Path) -> Path:
    """A German shop's customer export: ';' between fields, decimal commas, CRLF, Windows-1252
    ('Fémale', 'k€' in a header), an id column named in German."""
    rng = random.Random(3)
    lines = ["Kunden-Nr;Geschlecht;Alter;Jahreseinkommen (k€);Ausgaben-Score"]
    for i in range(300):
        lines.append(f"{1000 + i};{rng.choice(['Fémale', 'Male', 'Divers'])};{rng.randint(18, 70)};{rng.randint(15, 140)},{rng.randint(0, 9)};{rng.randint(1, 100)}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def _config(name: str, work: Path) -> tuple[Path | None, dict[str, Any]]:
    if name == "mall":
        return None, {"data": str(SHARED / "Mall_Customers.csv")}
    if name == "marketing_campaign":
        return ROOT / "examples" / "marketing_campaign" / "reportgen.yaml", {}
    if name == "online_retail":
        return None, {"data": str(SHARED / "online_retail_sample.csv")}
    from reportgen.init import write

    return write(windows_1252_table(work / "kunden.csv"), work / "kunden.yaml"), {}


DATA = ("mall", "marketing_campaign", "online_retail", "windows_1252")


@pytest.fixture(scope="module", params=DATA)
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """summary.json and segments.csv of one data set, written by each engine."""
    assert SHARED.is_dir(), f"the shared data sets must be beside the checkout ({SHARED}), as in CI"
    work = tmp_path_factory.mktemp(request.param)
    config, overrides = _config(request.param, work)
    folders: dict[str, Any] = {"data": request.param}
    for engine in ("local", "spark"):
        folders[engine] = work / engine
        analyse(load_settings(config, {**overrides, "period": "2026-10", "out": str(work / engine / "out"), "engine": engine}), folders[engine])
    return folders


# The order-value model (gamma-gamma) is fitted by an optimiser that stops at its tolerance: the
# last bits in which Spark's and DuckDB's average order values differ move its parameters by about
# 1e-6, and the expected values built on them by as much. Everything else is compared exactly.
VALUE_MODEL = ("gamma_gamma", "expected_value_12m", "value_at_stake")
VALUE_MODEL_REL = 1e-5


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, float) and isinstance(b, float) and any(k in where for k in VALUE_MODEL) and abs(a - b) <= VALUE_MODEL_REL * abs(a):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(set(a) ^ set(b))} in one only"]
        return [d for k in a for d in _differences(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1e-9 * max(1.0, abs(a)):
        return []  # sums in another order
    return [] if a == b else [f"{where}: local {a!r}, spark {b!r}"]


def test_summary_json_is_the_same_on_both_engines(written: dict[str, Any]) -> None:
    """Everything but the example lines of Data quality: Spark counts a check's rows but does not
    know their lines in the file (its row ids are per partition), so it lists none."""
    local, spark = (json.loads((written[e] / "summary.json").read_text(encoding="utf-8")) for e in ("local", "spark"))
    assert local["n_customers"] > 100 and local["segments"]
    assert all(i["example_lines"] == [] for i in spark.get("row_issues", []))
    for issue in local.get("row_issues", []):
        issue["example_lines"] = []
    assert _differences(local, spark) == []


def test_segments_csv_is_the_same_on_both_engines(written: dict[str, Any]) -> None:
    local, spark = ((written[e] / "segments.csv").read_text(encoding="utf-8").splitlines() for e in ("local", "spark"))
    assert len(local) > 100
    assert local[0] == spark[0]
    header = local[0].split(",")
    modelled = header.index("expected_value_12m") if "expected_value_12m" in header else None

    def same(a: str, b: str) -> bool:
        if a == b or modelled is None:
            return a == b
        x, y = a.split(","), b.split(",")  # (a segment's name with a comma shifts both lines alike)
        return x[:modelled] == y[:modelled] and x[modelled + 1 :] == y[modelled + 1 :] and abs(float(x[modelled]) - float(y[modelled])) <= VALUE_MODEL_REL * abs(float(x[modelled])) + 1e-6

    differing = [(a, b) for a, b in zip(local, spark) if not same(a, b)]
    assert len(local) == len(spark) and differing[:3] == []


def test_text_is_decoded_alike(written: dict[str, Any]) -> None:
    """No replaced byte on either engine; the Windows-1252 table reads 'Fémale' on both (Spark read
    Windows-1252 as Latin-1, or replaced its bytes, before)."""
    for engine in ("local", "spark"):
        text = (written[engine] / "segments.csv").read_text(encoding="utf-8")
        assert "\ufffd" not in text and ";" not in text.splitlines()[0], engine
        assert (",Fémale" in text) == (written["data"] == "windows_1252"), engine


def test_spark_quantiles_are_numpys_exactly() -> None:
    """Order statistics found within Spark's approximate brackets, interpolated as numpy does: ties,
    a missing value, a single value, the ends."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    from reportgen.engines.spark_rows import SparkRows

    rng = np.random.default_rng(4)
    values = {
        "ties": rng.integers(0, 7, 5000).astype(float),
        "spread": rng.lognormal(3, 1.2, 5000),
        "gappy": np.where(rng.random(5000) < 0.3, np.nan, rng.normal(0, 1, 5000)),
        "one": np.r_[np.full(4999, np.nan), 2.5],
    }
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate()
    try:
        frame = spark.createDataFrame([tuple(float(v[i]) for v in values.values()) for i in range(5000)], list(values))
        rows = SparkRows(spark, frame, None, None, "_line", Path("."))  # type: ignore[arg-type]
        shares = [0.0, 0.001, 0.1, 0.25, 1 / 3, 0.5, 0.9, 0.999, 1.0]
        got = rows.quantiles({name: shares for name in values})
    finally:
        spark.stop()
    for name, v in values.items():
        assert got[name].tolist() == np.quantile(v[~np.isnan(v)], shares).tolist(), name
