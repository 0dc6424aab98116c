"""render/charts.py and render/heatmaps.py: titles that state what is true of the numbers drawn."""

from __future__ import annotations

from dataclasses import replace

from reportgen.model import KScore, Report
from reportgen.render import charts, heatmaps


def test_the_k_chart_claims_the_best_silhouette_only_when_it_has_it(mall_run: Report) -> None:
    c = mall_run.clustering
    curve = tuple(KScore(k, s) for k, s in ((3, 0.40), (4, 0.52), (5, 0.47), (6, 0.45)))
    def title(**changed: object) -> str:
        chart = charts._k_chart(replace(mall_run, clustering=replace(c, k_curve=curve, **changed)))
        assert chart is not None
        return chart.title

    assert title(k=4, chosen_k=4) == "k = 4 separates the customers best (silhouette 0.52)"
    assert title(k=5, chosen_k=5) == "k = 5 chosen (silhouette 0.47); by silhouette alone k = 4 separates best (0.52)"
    assert title(k=9, chosen_k=4) == "k = 4 separates the customers best (silhouette 0.52); the 9 segments were then formed by name"


def test_the_profile_table_chart_shows_each_segments_numbers_beside_all_customers(mall_run: Report) -> None:
    chart = heatmaps.profile_chart(mall_run)
    assert chart is not None and "percentile" not in (chart.title + chart.alt).lower()
    texts = next(t for t in chart.figure.data if t.mode == "text").text
    columns = 1 + len(mall_run.segments)
    rows = [texts[i : i + columns] for i in range(0, len(texts), columns)]
    assert rows[0][0] == "$61k" and rows[1][0] == "50"  # all customers' mean income, spending score
    assert [r[1] for r in rows[:2]] == ["$55k", "50"]  # the first segment's
    assert chart.title.startswith("Biggest difference from the average customer: Spending score in Cautious affluent")
