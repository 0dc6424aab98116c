"""The Spark engine (local[2]) against one machine, on generated data with planted segments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from reportgen.settings_file import load_settings
from reportgen.pipeline import run
from reportgen.sample import generate

from .conftest import assert_no_report, settings

pytestmark = pytest.mark.spark  # every test here starts a local Spark session

ROWS = 10_000


def _assignments(folder: Path) -> pd.Series:
    frame = pd.read_csv(folder / "segments.csv", dtype={"customer_id": str})
    return frame.set_index("customer_id")["cluster"]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two months of the same customers, reported by both engines (k auto)."""
    work = tmp_path_factory.mktemp("spark")
    frames = []
    for month, period in enumerate(("2026-04", "2026-05")):
        frame = generate(ROWS, 31, with_truth=True, month=month, spread=0.6)
        frames.append(frame)
        data = work / f"customers-{period}.csv"
        frame.drop(columns="planted_segment").to_csv(data, index=False)
        for engine in ("local", "spark"):
            run(settings(data=data, period=period, out=work / engine, engine=engine, segments_parquet=True))
    return {"work": work, "frames": frames}


def _summary(work: Path, engine: str, period: str) -> dict[str, Any]:
    return json.loads((work / engine / period / "summary.json").read_text())


def test_same_k_names_and_sizes(engines: dict[str, Any]) -> None:
    work = engines["work"]
    local, spark = _summary(work, "local", "2026-04"), _summary(work, "spark", "2026-04")
    assert spark["k"] == local["k"] == 5
    assert [s["name"] for s in spark["segments"]] == [s["name"] for s in local["segments"]]
    assert spark["n_customers"] == local["n_customers"] == ROWS
    for a, b in zip(local["segments"], spark["segments"]):
        assert abs(a["size"] - b["size"]) <= ROWS * 0.005, (a["name"], a["size"], b["size"])
        assert a["levels"] == b["levels"]


def test_assignments_agree(engines: dict[str, Any]) -> None:
    work = engines["work"]
    local = _assignments(work / "local" / "2026-04")
    spark = _assignments(work / "spark" / "2026-04")
    assert len(spark) == ROWS and set(spark.index) == set(local.index)
    assert adjusted_rand_score(local.sort_index(), spark.sort_index()) >= 0.99
    truth = engines["frames"][0].set_index("CustomerID")["planted_segment"]
    assert adjusted_rand_score(truth.sort_index(), spark.sort_index()) >= 0.99
    parquet = pd.read_parquet(work / "spark" / "2026-04" / "segments.parquet")
    assert len(parquet) == ROWS and set(parquet.columns) == {"customer_id", "segment", "cluster", "age", "income", "spending", "gender"}


def test_month_over_month_on_spark(engines: dict[str, Any]) -> None:
    work = engines["work"]
    local, spark = _summary(work, "local", "2026-05")["changes"], _summary(work, "spark", "2026-05")["changes"]
    assert spark["previous_period"] == "2026-04"
    assert spark["migration"]["from"] == local["migration"]["from"] and spark["migration"]["to"] == local["migration"]["to"]
    assert spark["new_customers"] == local["new_customers"] == 500 and spark["gone_customers"] == local["gone_customers"] == 500
    total = sum(map(sum, spark["migration"]["counts"]))
    assert total == sum(map(sum, local["migration"]["counts"]))
    differing = sum(abs(a - b) for ra, rb in zip(local["migration"]["counts"], spark["migration"]["counts"]) for a, b in zip(ra, rb))
    assert differing <= total * 0.01


def test_documents_are_made_from_aggregates(engines: dict[str, Any]) -> None:
    folder = engines["work"] / "spark" / "2026-05"
    assert (folder / "briefing.pdf").stat().st_size > 100_000
    assert (folder / "charts" / "map.png").exists() and (folder / "charts" / "migration.png").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["settings"]["engine"] == "spark" and manifest["input"]["sha256"]


def test_open_features_same_on_spark(tmp_path: Path) -> None:
    """The CRM example's derived features (sum, ratio, birth_year, days_since, categories) on both engines."""
    example = Path(__file__).resolve().parents[1] / "examples" / "marketing_campaign" / "reportgen.yaml"
    folders = {}
    for engine in ("local", "spark"):
        run(load_settings(example, {"out": str(tmp_path / engine), "period": "2014-07", "engine": engine, "k": 5}))
        folders[engine] = tmp_path / engine / "2014-07"
    local = pd.read_csv(folders["local"] / "segments.csv", dtype={"customer_id": str}).set_index("customer_id")
    spark = pd.read_csv(folders["spark"] / "segments.csv", dtype={"customer_id": str}).set_index("customer_id").loc[local.index]
    assert adjusted_rand_score(local["cluster"], spark["cluster"]) >= 0.99
    for name in ("income", "age", "spend", "purchases", "web_share", "deal_share", "children", "recency", "tenure", "MntWines"):
        assert (local[name] - spark[name]).abs().max() < 1e-5, name
    a, b = (json.loads((folders[e] / "summary.json").read_text()) for e in ("local", "spark"))
    assert [s["name"] for s in a["segments"]] == [s["name"] for s in b["segments"]]
    for x, y in zip(a["segments"], b["segments"]):
        assert x["mix"] == pytest.approx(y["mix"], abs=1e-4)


def test_signed_amounts_and_zoned_dates_same_on_spark(tmp_path: Path) -> None:
    """'$1,234.50' amounts, ISO times with zones and 12-hour times read the same on both engines."""
    import yaml

    from reportgen.pipeline import analyse

    times = ["2020-03-13T22:10:05.120Z", "2020-03-02T08:00:00+01:00", "2019-12-28T23:59:59Z", "2020-01-05T10:00:00Z"]
    ampm = ["3/13/2020 10:10 PM", "3/2/2020 8:00 AM", "12/28/2019 11:59 PM", "1/5/2020 10:00 AM"]
    rows = "".join(f"{i},{times[i % 4]},{ampm[i % 4]},\"${(i * 37) % 2000:,}.{i % 100:02d}\"\n" for i in range(1, 201))
    (tmp_path / "t.csv").write_text("id,seen,visited,spent\n" + rows)
    columns = {"customer_id": "id", "days": {"days_since": "seen"}, "days_b": {"days_since": "visited"}, "spent": "spent"}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"data": str(tmp_path / "t.csv"), "period": "2020-03", "columns": columns, "features": ["days", "spent"], "clustering": {"k": 3}}))
    frames = {e: analyse(load_settings(config, {"engine": e, "out": str(tmp_path / e)})).table.frame for e in ("local", "spark")}
    local = frames["local"].set_index("customer_id").sort_index()
    spark = frames["spark"].set_index("customer_id").sort_index()
    assert local["spent"].iloc[0] == pytest.approx(37.01) and local["spent"].max() > 1000
    for name in ("days", "days_b", "spent"):
        assert (local[name] - spark[name]).abs().max() < 1e-9, name


def test_order_log_same_on_spark(tmp_path: Path) -> None:
    """An order log with no settings: the same RFM features and segments on both engines."""
    retail = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail_sample.csv"
    for engine in ("local", "spark"):
        run(load_settings(None, {"data": str(retail), "out": str(tmp_path / engine), "period": "2011-12", "engine": engine}))
    local = pd.read_csv(tmp_path / "local" / "2011-12" / "segments.csv", dtype={"customer_id": str}).set_index("customer_id")
    spark = pd.read_csv(tmp_path / "spark" / "2011-12" / "segments.csv", dtype={"customer_id": str}).set_index("customer_id").loc[local.index]
    assert adjusted_rand_score(local["cluster"], spark["cluster"]) >= 0.99
    for name in ("recency_days", "frequency", "monetary"):
        assert (local[name] - spark[name]).abs().max() < 1e-6, name
    a, b = (json.loads((tmp_path / e / "2011-12" / "summary.json").read_text()) for e in ("local", "spark"))
    assert [s["name"] for s in a["segments"]] == [s["name"] for s in b["segments"]]
    assert b["kind"] == "transactions" and b["facts"]["as_of"] == a["facts"]["as_of"] == "2011-12-10"
    # names formed by name, fits, worth, predictions and contact lists: the same on both engines
    assert a["naming"] == b["naming"]
    assert b["level_cuts"] == a["level_cuts"]  # Spark's quantiles are exact, interpolated as numpy's
    for x, y in zip(a["segments"], b["segments"]):
        assert x["size"] == y["size"] and x["name_fit"] == y["name_fit"] and x["revenue_share"] == y["revenue_share"], x["name"]
        for key in ("expected_orders_90d", "expected_value_12m", "p_active", "p_order_90d"):
            assert y[key] == pytest.approx(x[key], rel=1e-4), (x["name"], key)
    assert (local["segment"] == spark["segment"]).all()
    for key in ("p_active", "p_order_90d", "expected_orders_90d", "expected_value_12m"):
        np.testing.assert_allclose(spark[key].to_numpy(), local[key].to_numpy(), rtol=1e-4, atol=1e-6)
    for name in sorted(p.name for p in (tmp_path / "local" / "2011-12" / "audiences").glob("*.csv")):
        ids = [set(pd.read_csv(tmp_path / e / "2011-12" / "audiences" / name, dtype={"customer_id": str})["customer_id"]) for e in ("local", "spark")]
        assert ids[0] == ids[1], name


def test_fit_sample_is_unbiased_deterministic_and_in_file_order() -> None:
    """The sample behind k and the starting centres covers the whole file: the newest customers
    are as likely to be in it as the oldest (before, the over-sample was cut by line number)."""
    from pyspark.sql import SparkSession

    from reportgen.engines.spark_rows import seeded_sample

    spark = SparkSession.builder.master("local[2]").appName("reportgen-sample-test").getOrCreate()
    n, size = 30_000, 1000
    df = spark.createDataFrame([(i + 2, f"C{i:06d}") for i in range(n)], ["_line", "customer_id"]).repartition(4)
    first = seeded_sample(df, size, 42).toPandas()
    again = seeded_sample(df.repartition(3), size, 42).toPandas()
    other = seeded_sample(df, size, 7).toPandas()
    assert len(first) == size
    assert first["_line"].tolist() == again["_line"].tolist()  # same seed, any layout: same rows
    assert first["_line"].tolist() != other["_line"].tolist()
    assert first["_line"].is_monotonic_increasing  # file order
    newest = (first["_line"] > 2 + n * 2 // 3).mean()
    assert 0.25 < newest < 0.42, newest  # about a third from the last third of the file


def test_a_ragged_row_stops_spark_as_it_stops_one_machine(tmp_path: Path) -> None:
    """Spark's reader would drop the extra fields of a row silently; the run refuses the file instead."""
    from reportgen.errors import DataError

    data = Path(__file__).parent / "cases" / "data" / "ragged_row.csv"
    for engine in ("local", "spark"):
        with pytest.raises(DataError, match="more fields than the header|the row has 7 fields, the header has 5"):
            run(settings(data=data, out=tmp_path / engine, engine=engine))
        assert_no_report(tmp_path / engine)


def test_flags_and_shares_above_zero_same_on_spark(tmp_path: Path) -> None:
    """The yes/no flags and the shares of customers above 0 that the documents show, on both engines."""
    import yaml

    from reportgen.pipeline import analyse

    rows = "".join(f"{i},{20 + i % 50},{(i * 7) % 90},{int(i % 9 == 0)},{0 if i % 5 else (i % 13) / 10},{'' if i == 3 else i % 2}\n" for i in range(1, 301))
    (tmp_path / "t.csv").write_text("id,income,spend,complain,returns,member\n" + rows)
    columns = {"customer_id": "id", "income": "income", "spend": "spend", "complain": "complain", "returns": "returns", "member": "member"}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"data": str(tmp_path / "t.csv"), "period": "2020-03", "columns": columns, "features": ["income", "spend"], "clustering": {"k": 3}}))
    local, spark = (analyse(load_settings(config, {"engine": e, "out": str(tmp_path / e)})).profile for e in ("local", "spark"))
    assert local.binary == spark.binary == ("complain", "member")
    assert spark.positive == pytest.approx(local.positive, abs=1e-12)
    assert [s["returns"] for s in spark.positive_by_cluster] == pytest.approx([s["returns"] for s in local.positive_by_cluster], abs=1e-12)
