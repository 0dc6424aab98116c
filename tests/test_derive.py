"""Open feature model on the real CRM export: each derivation against an independent pandas
computation, each refusal with one line naming the file, the feature and the column."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from reportgen.settings_file import load_settings
from reportgen.errors import ConfigError
from reportgen.pipeline import analyse

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CAMPAIGN = SHARED / "marketing_campaign.csv"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "marketing_campaign" / "reportgen.yaml"

CONFIG = {
    "data": str(CAMPAIGN),
    "period": "2014-07",
    "columns": {
        "customer_id": "ID",
        "income": "Income",
        "age": {"birth_year": "Year_Birth"},
        "spend": {"sum": ["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds"]},
        "purchases": {"sum": ["NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases"]},
        "web_share": {"ratio": ["NumWebPurchases", "purchases"]},
        "tenure": {"days_since": "Dt_Customer"},
        "recency": "Recency",
        "education": "Education",
    },
    "features": ["income", "spend", "purchases", "recency"],
    "categories": {"Wine": "MntWines", "Meat": "MntMeatProducts", "Gold": "MntGoldProds"},
    "valid": {"income": [0, 200000]},
    "display": {"spend": {"label": "Two-year spend", "prefix": "$"}},
    "clustering": {"k": 4},
}


def _write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "reportgen.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _expected() -> pd.DataFrame:
    """The same features computed independently with pandas."""
    raw = pd.read_csv(CAMPAIGN, sep="\t")
    out = pd.DataFrame({"customer_id": raw["ID"].astype(str)})
    out["income"] = raw["Income"]
    out["age"] = (2014 - raw["Year_Birth"]).where(lambda a: a <= 120)  # the default valid range of age
    out["spend"] = raw[["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds"]].sum(axis=1)
    out["purchases"] = raw[["NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases"]].sum(axis=1)
    out["web_share"] = (raw["NumWebPurchases"] / out["purchases"]).where(out["purchases"] != 0)
    out["tenure"] = (pd.Timestamp("2014-07-31") - pd.to_datetime(raw["Dt_Customer"], format="%d-%m-%Y")).dt.days
    out["recency"] = raw["Recency"]
    out["education"] = raw["Education"]
    keep = out["income"].notna() & (out["income"] <= 200000)
    return out[keep].reset_index(drop=True)


@pytest.fixture(scope="module")
def campaign_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("campaign")
    config = _write(tmp, CONFIG | {"out": str(tmp / "out")})
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--config", str(config)], capture_output=True, text=True, cwd=tmp, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 0, result.stderr
    return tmp / "out" / "2014-07"


@pytest.mark.e2e
def test_every_feature_value_equals_pandas(campaign_run: Path) -> None:
    got = pd.read_csv(campaign_run / "segments.csv", dtype={"customer_id": str})
    want = _expected()
    assert list(got["customer_id"]) == list(want["customer_id"])
    for name in ("income", "age", "spend", "purchases", "web_share", "tenure", "recency"):
        np.testing.assert_allclose(got[name].to_numpy(float), want[name].to_numpy(float), rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=name)
    assert (got["education"] == want["education"]).all()
    assert list(got.columns[:3]) == ["customer_id", "segment", "cluster"]


@pytest.mark.e2e
def test_mix_equals_members_category_totals(campaign_run: Path) -> None:
    got = pd.read_csv(campaign_run / "segments.csv", dtype={"customer_id": str})
    summary = json.loads((campaign_run / "summary.json").read_text())
    for seg in summary["segments"]:
        members = got[got["cluster"] == seg["id"]]
        totals = {"Wine": members["MntWines"].sum(), "Meat": members["MntMeatProducts"].sum(), "Gold": members["MntGoldProds"].sum()}
        spent = sum(totals.values())
        for cat, total in totals.items():
            assert seg["mix"][cat] == pytest.approx(total / spent, abs=1e-4)
        for name in ("income", "spend", "recency"):
            assert seg["profile"][name] == pytest.approx(members[name].mean(), rel=1e-4)
        assert set(seg["centroid"]) == {"income", "spend", "purchases", "recency"}


@pytest.mark.e2e
def test_pdf_shows_labels_and_categories(campaign_run: Path) -> None:
    text = subprocess.run(["pdftotext", "-layout", str(campaign_run / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    for label in ("Two-year spend", "Income", "Purchases", "Recency", "Web share", "Tenure", "Wine", "Meat", "Gold", "Education"):
        assert label in text, label
    assert "spending score" not in text.lower()
    assert "as much" in text  # "Buys 2.1x as much wine as the average customer"


@pytest.mark.e2e
def test_skewed_measures_scaled_and_stated(campaign_run: Path) -> None:
    summary = json.loads((campaign_run / "summary.json").read_text())
    scaling = {s["feature"]: s for s in summary["scaling"]}
    assert scaling["recency"]["transform"] == "linear"
    assert all(s["automatic"] for s in scaling.values())
    text = subprocess.run(["pdftotext", str(campaign_run / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "skew" in text


def test_example_config_runs_with_names_agreeing_with_centroids(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE, {"out": str(tmp_path), "period": "2014-07", "k": 6})
    report = analyse(settings)
    cuts = report.level_cuts
    for seg in report.segments:
        if seg.base_name == "Affluent connoisseurs":
            assert seg.centroid["spend"] >= cuts["spend"][1] and seg.centroid["children"] < 0.5
        if seg.base_name.startswith("Budget families"):
            assert seg.centroid["spend"] < cuts["spend"][0] and seg.centroid["children"] >= 0.5
        if seg.base_name == "Lapsing big spenders":
            assert seg.centroid["spend"] >= cuts["spend"][1] and seg.centroid["recency"] >= cuts["recency"][1]
    assert len({s.base_name for s in report.segments}) >= 2


def test_scale_log_tames_a_big_spender(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    spend = np.concatenate([rng.lognormal(4, 1, 400), [1e7]])
    frame = pd.DataFrame({"id": range(401), "spend": spend.round(2), "visits": rng.poisson(5, 401)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    base = {"data": str(tmp_path / "t.csv"), "columns": {"customer_id": "id", "spend": "spend", "visits": "visits"}, "features": ["spend", "visits"], "clustering": {"k": 3}}
    linear = analyse(load_settings(_write(tmp_path, base | {"scale": {"spend": "linear"}})))
    auto = analyse(load_settings(_write(tmp_path, base)))
    assert min(s.size for s in linear.segments) == 1  # one customer is a "segment" of its own
    assert auto.features.transforms[0] == "log" and min(s.size for s in auto.segments) > 10


@pytest.mark.parametrize(
    "change, message",
    [
        ({"columns": {"customer_id": "ID", "spend": {"sum": ["MntWines", "MntFruitz"]}}, "features": ["spend"]}, "feature 'spend' uses column 'MntFruitz', which is not in marketing_campaign.csv and is not a feature. Did you mean 'MntFruits'?"),
        ({"columns": {"customer_id": "ID", "a": {"sum": ["b", "MntWines"]}, "b": {"ratio": ["a", "MntFruits"]}}, "features": ["a"]}, "features a -> b -> a refer to each other in a cycle"),
        ({"columns": {"customer_id": "ID", "edu": "Education", "x": "Income"}, "features": ["edu", "x"]}, "feature 'edu' uses column 'Education' of marketing_campaign.csv as a number, but it holds text"),
        ({"columns": {"customer_id": "ID", "x": {"ratio": ["Income", "Education"]}}, "features": ["x"]}, "feature 'x' uses column 'Education' of marketing_campaign.csv as a number, but it holds text"),
        ({"columns": {"customer_id": "ID", "spend": "MntWines"}, "features": ["spnd"]}, "features: 'spnd' is not a configured feature. Did you mean 'spend'?"),
        ({"columns": {"customer_id": "ID", "tenure": {"days_since": "Dt_Custmer"}}, "features": ["tenure"]}, "feature 'tenure' uses column 'Dt_Custmer'"),
        ({"columns": {"customer_id": "ID", "tenure": {"days_since": "Education"}}, "features": ["tenure"]}, "the dates cannot be read"),
    ],
)
@pytest.mark.slow  # a fresh reportgen process per case
def test_bad_feature_configs_are_refused(tmp_path: Path, change: dict, message: str) -> None:
    config = _write(tmp_path, {"data": str(CAMPAIGN), "period": "2014-07", "out": str(tmp_path / "out")} | change)
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--config", str(config)], capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 2, result.stderr
    first = result.stderr.strip().splitlines()[0]
    assert str(config) in first and message in first, first
    assert "Traceback" not in result.stderr


def test_zero_denominator_is_a_missing_value(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,a,b\n" + "".join(f"{i},{i % 7},{i % 5}\n" for i in range(1, 60)))
    config = _write(tmp_path, {"data": str(tmp_path / "t.csv"), "columns": {"customer_id": "id", "a": "a", "r": {"ratio": ["a", "b"]}}, "features": ["a"], "clustering": {"k": 2}})
    report = analyse(load_settings(config))
    frame = report.table.frame
    assert frame.loc[frame["customer_id"].astype(int) % 5 == 0, "r"].isna().all()
    issue = next(i for i in report.table.issues if i.reason == "zero denominator")
    assert issue.rows == 11 and not issue.dropped


def test_day_first_and_month_first_dates(tmp_path: Path) -> None:
    rows = "".join(f"{i},{d},{i}\n" for i, d in enumerate(["13/01/2020", "02/03/2020", "28/12/2019"] * 5, start=1))
    (tmp_path / "t.csv").write_text("id,joined,x\n" + rows)
    config = _write(tmp_path, {"data": str(tmp_path / "t.csv"), "period": "2020-03", "columns": {"customer_id": "id", "days": {"days_since": "joined"}, "x": "x"}, "features": ["days", "x"], "clustering": {"k": 2}})
    days = analyse(load_settings(config)).table.frame["days"].tolist()[:3]
    assert days == [78, 29, 94]  # to 31 March 2020
    (tmp_path / "t.csv").write_text("id,joined,x\n" + "".join(f"{i},02/03/2020,{i}\n" for i in range(1, 15)))
    with pytest.raises(ConfigError, match="day-first or month-first"):
        analyse(load_settings(config))


def test_dates_with_zones_or_twelve_hour_times_and_amounts_with_signs(tmp_path: Path) -> None:
    """CRM exports as web shops and spreadsheets write them: '2020-03-13T22:10:05.120Z', '+01:00',
    '3/13/2020 10:10 PM', '$1,234.50', '1.234,50 €'. Days count to the local day; the amounts are
    the numbers; a text column ('gold') still reads as text."""
    times = ["2020-03-13T22:10:05.120Z", "2020-03-02T08:00:00+01:00", "2019-12-28T23:59:59Z"]
    ampm = ["3/13/2020 10:10 PM", "3/2/2020 8:00 AM", "12/28/2019 11:59 PM"]
    money = ["$1,234.50", "$87.25", "$12,000"]
    rows = "".join(f"{i},{times[i % 3]},{ampm[i % 3]},\"{money[i % 3]}\",gold,+44 7700 {900000 + i}\n" for i in range(1, 31))
    (tmp_path / "t.csv").write_text("id,seen,visited,spent,tier,phone\n" + rows)
    columns = {"customer_id": "id", "days": {"days_since": "seen"}, "days_b": {"days_since": "visited"}, "spent": "spent", "tier": "tier", "phone": "phone"}
    config = _write(tmp_path, {"data": str(tmp_path / "t.csv"), "period": "2020-03", "columns": columns, "features": ["days", "spent"], "clustering": {"k": 2}})
    report = analyse(load_settings(config))
    frame = report.table.frame
    assert frame["days"].tolist()[:3] == [29, 94, 18] and frame["days_b"].tolist()[:3] == [29, 94, 18]  # to 31 March 2020
    assert frame["spent"].tolist()[:3] == [87.25, 12000.0, 1234.5]
    assert "tier" in report.table.attributes and "phone" in report.table.attributes  # a phone number is no amount

    rows = "".join(f"{i};{['1.234,50 €', '87,25 €', '12.000 €'][i % 3]};{i}\n" for i in range(1, 31))  # a European export
    (tmp_path / "e.csv").write_text("id;spent;x\n" + rows)
    config = _write(tmp_path, {"data": str(tmp_path / "e.csv"), "columns": {"customer_id": "id", "spent": "spent", "x": "x"}, "features": ["spent", "x"], "clustering": {"k": 2}})
    assert analyse(load_settings(config)).table.frame["spent"].tolist()[:3] == [87.25, 12000.0, 1234.5]


def test_a_feature_with_one_value_for_everyone_is_named_in_a_warning(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,spend,visits,country\n" + "".join(f"{i},{10 + (i * 37) % 500},{i % 9},44\n" for i in range(1, 121)))
    config = _write(tmp_path, {"data": str(tmp_path / "t.csv"), "columns": {"customer_id": "id", "spend": "spend", "visits": "visits", "country": "country"},
                               "features": ["spend", "visits", "country"], "clustering": {"k": 3}})
    report = analyse(load_settings(config))
    assert any(w.startswith("Country is the same for every customer") for w in report.warnings)
    assert not any("Spend is the same" in w for w in report.warnings)


@pytest.mark.slow  # k auto on 2,215 customers with trust
def test_crm_export_gives_a_useful_number_of_segments(tmp_path: Path) -> None:
    """Income, total spend, purchases and recency, k auto: three segments of 27-43 % of the customers
    the independent pandas computation keeps, sizes counted from the labels, the silhouette as
    scikit-learn computes it, and the best of every k tried."""
    from sklearn.metrics import silhouette_score

    config = {k: v for k, v in CONFIG.items() if k != "clustering"}
    report = analyse(load_settings(_write(tmp_path, config)))
    c = report.clustering
    n = len(_expected())
    assert report.table.n_customers == len(c.labels) == n == 2215
    assert c.k == 3 and [s.size for s in report.segments] == np.bincount(c.labels).tolist() == [959, 646, 610]
    assert [round(s.share, 4) for s in report.segments] == [round(v / n, 4) for v in (959, 646, 610)]
    assert c.silhouette == pytest.approx(silhouette_score(report.features.matrix, c.labels), abs=1e-4)
    assert c.silhouette == max(p.silhouette for p in c.k_curve)
    assert report.trust is not None and report.trust.confidence.level == "moderate"
    assert min(report.trust.stability) >= 0.75


@pytest.mark.e2e
def test_sensitive_features_are_not_clustered_unless_asked(tmp_path: Path) -> None:
    columns = {"customer_id": "ID", "income": "Income", "spend": {"sum": ["MntWines", "MntMeatProducts"]}, "age": {"birth_year": "Year_Birth", "sensitive": True}}
    base = {"data": str(CAMPAIGN), "period": "2014-07", "columns": columns, "valid": {"income": [0, 200000]}, "clustering": {"k": 3}}
    default = analyse(load_settings(_write(tmp_path, base)))
    assert "age" not in default.features.roles and "age" in default.table.numeric  # profiled, not clustered
    asked = tmp_path / "asked"
    asked.mkdir()
    config = _write(asked, base | {"features": ["income", "spend", "age"], "out": str(asked / "out")})
    result = subprocess.run([str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "reportgen"), "run", "--config", str(config)], capture_output=True, text=True, cwd=asked)
    assert result.returncode == 0, result.stderr
    text = " ".join(subprocess.run(["pdftotext", str(asked / "out" / "2014-07" / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "the clustering uses Age, marked as sensitive" in text
