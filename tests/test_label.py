from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.bundled import bundled_path
from reportgen.model import Profile, Clustering, CustomerTable
from reportgen.rules import load_campaigns, load_segments
from reportgen.stages.label import label, level_cuts, quantile_points
from reportgen.engines.local import LocalRows
from reportgen.stages.profile import profile as profile_rows
from reportgen.stages.recommend import recommend


def profile(table: CustomerTable, clustering: Clustering, points: dict) -> Profile:
    """The stage on one machine's rows, the segments already assigned."""
    return profile_rows(LocalRows(table, clustering.labels), clustering.k, clustering.labels, points)


def _table(rows: list[tuple[float, float, float]]) -> CustomerTable:
    frame = pd.DataFrame(rows, columns=["age", "income", "spending"])
    frame["customer_id"] = [str(i) for i in range(len(rows))]
    return CustomerTable(frame, Path("t.csv"), "0" * 64, len(rows), {}, numeric=("age", "income", "spending"))


def _clustering(labels: list[int]) -> Clustering:
    arr = np.asarray(labels)
    k = int(arr.max()) + 1
    return Clustering(k, False, arr, 0.5, 0.5, 100.0, (), tuple(int(n) for n in np.bincount(arr)))


def test_levels_and_first_match() -> None:
    rows = [(30, 20, 20), (30, 22, 22), (60, 50, 50), (60, 52, 52), (40, 90, 90), (40, 92, 88)]
    table = _table(rows)
    book = load_segments(bundled_path("rules", "mall", "segments.yaml"))
    prof = profile(table, _clustering([0, 0, 1, 1, 2, 2]), quantile_points(book))
    cuts = level_cuts(prof, book)
    assert cuts["age"] == (35, 55)  # absolute
    named = label(prof, book, cuts)
    assert [n.name for n in named] == ["Budget-conscious", "Mainstream shoppers", "Premium spenders"]
    assert named[0].levels == {"age": "young", "income": "low", "spending": "low"}
    assert named[2].profile == "middle-aged, high income, spends freely"
    assert named[2].centroid["income"] == 91


def test_equal_names_are_told_apart_by_a_differing_level() -> None:
    rows = [(25, 50, 50), (26, 51, 50), (60, 50, 49), (61, 51, 51), (40, 10, 10), (40, 95, 95)]
    book = load_segments(bundled_path("rules", "mall", "segments.yaml"))
    table = _table(rows)
    prof = profile(table, _clustering([0, 0, 1, 1, 2, 3]), quantile_points(book))
    named = label(prof, book, level_cuts(prof, book))
    names = [n.name for n in named]
    assert names[0] == "Mainstream shoppers (younger)" and names[1] == "Mainstream shoppers (older)"
    assert len(set(names)) == 4


def test_fallback_and_missing_campaign_warning(tmp_path: Path) -> None:
    seg = tmp_path / "segments.yaml"
    seg.write_text(
        "levels:\n  spending: {method: absolute, cuts: [50], names: [low, high]}\n"
        "segments:\n  - name: Spenders\n    when: {spending: high}\nfallback: {name: Everyone else}\n"
    )
    camp = tmp_path / "campaigns.yaml"
    camp.write_text("campaigns:\n  Spenders:\n    - {name: X, objective: o, channels: [email], offer: f, kpi: k, budget_share: 0.1, tone: t}\n")
    book = load_segments(seg)
    table = _table([(30, 20, 10), (30, 20, 90)])
    clustering = _clustering([0, 1])
    prof = profile(table, clustering, quantile_points(book))
    named = label(prof, book, level_cuts(prof, book))
    assert [n.name for n in named] == ["Everyone else", "Spenders"] and named[0].rule == "fallback"
    segments, warnings = recommend(named, clustering, load_campaigns(camp, book))
    assert segments[0].campaigns == () and segments[1].campaigns[0].name == "X"
    assert warnings == ("No campaign is defined for segment 'Everyone else': add one under campaigns: in campaigns.yaml.",)
    assert segments[1].share == 0.5


def test_segments_are_named_from_the_data_when_no_rule_judges_the_features(tmp_path: Path) -> None:
    """A first run on a new table (no rule pack for its features) still gives readable, distinct names."""
    from reportgen.settings_file import load_settings
    from reportgen.pipeline import analyse

    campaign = Path(__file__).resolve().parents[2] / "shared" / "data" / "marketing_campaign.csv"
    config = tmp_path / "c.yaml"
    config.write_text(f"data: {campaign}\ncolumns: {{customer_id: ID, spend: {{sum: [MntWines, MntMeatProducts]}}, recency: Recency}}\nclustering: {{k: 4}}\n")
    report = analyse(load_settings(config))
    names = [s.name for s in report.segments]
    assert len(set(names)) == 4 and all(s.rule == "automatic" for s in report.segments)
    assert any("spend" in n.lower() or "recency" in n.lower() for n in names)
    for s in report.segments:  # the words agree with where the centre sits
        if s.levels.get("spend") == "high":
            assert s.centroid["spend"] > report.population["spend"]
    assert any("named from the data" in w for w in report.warnings)


def test_a_feature_that_cannot_separate_does_not_name_segments() -> None:
    """Spending nearly all tied at 50: its quantile cuts coincide ([50, 50]) and, before, every
    cluster was called 'high' spending. Now spending names nothing and the report says why."""
    from reportgen.stages.label import unseparated_warnings

    rows = [(30, 20 + i, 50) for i in range(10)] + [(40, 60 + i, 50) for i in range(10)] + [(50, 100 + i, 50 + (i == 0)) for i in range(10)]
    book = load_segments(bundled_path("rules", "mall", "segments.yaml"))
    table = _table(rows)
    prof = profile(table, _clustering([0] * 10 + [1] * 10 + [2] * 10), quantile_points(book))
    cuts = level_cuts(prof, book)
    assert "spending" not in cuts and "income" in cuts
    named = label(prof, book, cuts)
    assert all("spending" not in n.levels for n in named)
    assert all("spends freely" not in n.profile for n in named)
    (warning,) = unseparated_warnings(prof, book)
    assert warning.startswith("'spending' cannot separate customers this month") and "50" in warning


def test_a_constant_feature_does_not_name_segments() -> None:
    from reportgen.stages.label import unseparated

    rows = [(30, 20 + 3 * i, 70) for i in range(12)]
    book = load_segments(bundled_path("rules", "mall", "segments.yaml"))
    prof = profile(_table(rows), _clustering([0] * 6 + [1] * 6), quantile_points(book))
    assert unseparated(prof, book) == {"spending": "every customer has the same spending (70)"}
    assert all(n.levels.get("spending") is None for n in label(prof, book, level_cuts(prof, book)))


def test_attribute_mix_is_capped_to_the_top_values_and_other() -> None:
    """Thousands of distinct values (a free-text 'gender' column) would blow up the email."""
    from reportgen.stages.profile import MAX_MIX_VALUES, OTHER

    rows = [(30 + i % 7, 20 + i % 50, 10 + i % 80) for i in range(2000)]
    table = _table(rows)
    table.frame["gender"] = ["Female" if i % 3 == 0 else "Male" if i % 3 == 1 else f"free text {i}" for i in range(2000)]
    table = CustomerTable(table.frame, table.source, table.checksum, 2000, {}, numeric=table.numeric, attributes=("gender",))
    prof = profile(table, _clustering([i % 2 for i in range(2000)]), {})
    for mix in prof.mixes:
        shares = mix["gender"]
        assert len(shares) <= MAX_MIX_VALUES + 1 and OTHER in shares
        assert "Female" in shares and "Male" in shares
        assert abs(sum(shares.values()) - 1) < 1e-3


def test_segments_of_one_name_are_told_apart_by_their_order() -> None:
    """Two automatic names that come out equal read 'lower spend' / 'higher spend', not (1) / (2);
    the same levels always give the same words, whichever feature stands out more."""
    from reportgen.stages.label import auto_label

    centroids = [{"spend": 40.0, "visits": 5.0}, {"spend": 60.0, "visits": 5.0}, {"spend": 95.0, "visits": 99.0}, {"spend": 99.0, "visits": 95.0}]
    grid = tuple(float(v) for v in range(101))  # values 0..100 at percentiles 0..100
    profile = Profile(
        n=400, population={"spend": 50.0, "visits": 50.0}, centroids=tuple(centroids), means=tuple(centroids),
        mixes=({},) * 4, quantiles={}, percentiles={"spend": grid, "visits": grid},
    )
    names = [n.name for n in auto_label(profile, ("spend", "visits"), str.capitalize)]
    assert names[0] == "Low visits (lower spend)" and names[1] == "Low visits (higher spend)"
    assert names[2] == "High spend, high visits (lower spend)" and names[3] == "High spend, high visits (higher spend)"
