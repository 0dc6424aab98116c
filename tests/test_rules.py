from pathlib import Path

import pytest

from reportgen.bundled import bundled_path
from reportgen.errors import ConfigError, RuleError
from reportgen.rules import load_campaigns, load_segments

LEVELS = """levels:
  income: {method: quantile, cuts: [0.33, 0.67], names: [low, medium, high]}
  spending: {method: quantile, cuts: [0.33, 0.67], names: [low, medium, high]}
"""


def _segments(tmp_path: Path, body: str, fallback: str = "fallback: {name: Others}\n") -> Path:
    path = tmp_path / "segments.yaml"
    path.write_text(LEVELS + body + fallback)
    return path


def test_bundled_rules_load() -> None:
    book = load_segments(bundled_path("rules", "mall", "segments.yaml"))
    assert book.rules[0].name == "Premium spenders"
    assert book.rules[0].when == {"income": frozenset({"high"}), "spending": frozenset({"high"})}
    assert book.rules[0].line > 20  # lines are counted in the real file
    assert book.fallback.name == "Other customers"
    assert {(tuple(sorted(r.when["income"])), tuple(sorted(r.when["spending"]))) for r in book.rules} == {  # every cell has a rule
        ((i,), (s,)) for i in ("low", "medium", "high") for s in ("low", "medium", "high")
    }
    campaigns = load_campaigns(bundled_path("rules", "mall", "campaigns.yaml"), book)
    assert set(campaigns.by_segment) == set(book.names)  # every bundled segment has campaigns
    assert all(0 < c.budget_share <= 1 for cs in campaigns.by_segment.values() for c in cs)


def test_list_of_levels(tmp_path: Path) -> None:
    book = load_segments(_segments(tmp_path, "segments:\n  - name: Not low\n    when: {income: [medium, high]}\n"))
    assert book.rules[0].when["income"] == frozenset({"medium", "high"})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("segments:\n  - name: A\n    when: {incme: high}\n", "line 5, rule 'A': unknown feature 'incme'. Did you mean 'income'?"),
        ("segments:\n  - name: A\n    when: {income: hihg}\n", "line 5, rule 'A': unknown level 'hihg' for 'income'. Did you mean 'high'?"),
        ("segments:\n  - name: A\n    when: {income: []}\n", "allows no level, so the rule can never match"),
        (
            "segments:\n  - name: Rich\n    when: {income: high}\n  - name: Rich spenders\n    when: {income: high, spending: high}\n",
            "line 7, rule 'Rich spenders': can never match, because rule 'Rich' (line 5)",
        ),
        ("segments:\n  - name: A\n    when: {income: high}\n    colour: red\n", "unknown key 'colour'"),
        ("segments:\n  - name: A\n    wen: {income: high}\n", "Did you mean 'when'?"),
    ],
)
def test_bad_segment_rules(tmp_path: Path, body: str, expected: str) -> None:
    path = _segments(tmp_path, body)
    with pytest.raises(RuleError) as err:
        load_segments(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_missing_fallback(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="fallback"):
        load_segments(_segments(tmp_path, "segments:\n  - name: A\n    when: {income: high}\n", fallback=""))


def test_bad_levels(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("levels:\n  income: {method: quantile, cuts: [0.5, 1.5], names: [low, mid, high]}\nsegments: [{name: A, when: {income: low}}]\nfallback: {name: B}\n")
    with pytest.raises(RuleError, match=r"line 2: quantile cuts for 'income' are shares of customers between 0 and 1"):
        load_segments(path)
    path.write_text("levels:\n  2height: {method: absolute, cuts: [1], names: [short, tall]}\nsegments: [{name: A, when: {2height: tall}}]\nfallback: {name: B}\n")
    with pytest.raises(RuleError, match="'2height' is not a feature name"):
        load_segments(path)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(LEVELS + "segments:\n  - name: A\n    when: {income: high\nfallback: {name: B}\n")
    with pytest.raises(ConfigError, match=r"s\.yaml line \d+: YAML error"):
        load_segments(path)


def test_unsafe_yaml_tag_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("levels: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="YAML error"):
        load_segments(path)


def test_campaigns_for_unknown_segment(tmp_path: Path) -> None:
    book = load_segments(_segments(tmp_path, "segments:\n  - name: Big spenders\n    when: {spending: high}\n"))
    path = tmp_path / "campaigns.yaml"
    path.write_text(
        "campaigns:\n  Big spender:\n    - {name: X, objective: o, channels: [email], offer: f, kpi: k, budget_share: 0.1, tone: t}\n"
    )
    with pytest.raises(RuleError, match=r"line 2: campaigns for 'Big spender', which no rule .* names\. Did you mean 'Big spenders'\?"):
        load_campaigns(path, book)


def test_campaign_field_errors(tmp_path: Path) -> None:
    book = load_segments(_segments(tmp_path, "segments:\n  - name: Big spenders\n    when: {spending: high}\n"))
    path = tmp_path / "campaigns.yaml"
    path.write_text("campaigns:\n  Big spenders:\n    - {name: X, objective: o, channels: [email], offer: f, kpi: k, budget_share: 1.5, tone: t}\n")
    with pytest.raises(RuleError, match=r"line 2: campaigns\.Big spenders\.0\.budget_share"):
        load_campaigns(path, book)


# -- rule coverage, property-based: the load-time check agrees with how label.py matches ------------

from itertools import product  # noqa: E402

from hypothesis import example, given, settings, strategies as st  # noqa: E402

SCALES = {"income": ("low", "medium", "high"), "spending": ("low", "high"), "age": ("young", "middle", "senior")}


@st.composite
def rule_lists(draw: st.DrawFn) -> list[dict[str, list[str]]]:
    """Up to five rules, each with conditions on one to three features, one or more levels each."""
    rules = []
    for _ in range(draw(st.integers(1, 5))):
        roles = draw(st.lists(st.sampled_from(sorted(SCALES)), min_size=1, max_size=3, unique=True))
        rules.append({r: sorted(draw(st.sets(st.sampled_from(SCALES[r]), min_size=1))) for r in roles})
    return rules


def _reachable(when: dict[str, list[str]], earlier: list[dict[str, list[str]]]) -> bool:
    """By brute force, as label.py matches (first match wins; a feature a centroid lacks matches no
    condition): is there a centroid the rule matches and no earlier rule does? Every feature the
    rule names takes each allowed level; the others are best left without a level."""
    roles = sorted(when)
    for combo in product(*(when[r] for r in roles)):
        levels = dict(zip(roles, combo))
        if not any(all(r in levels and levels[r] in allowed for r, allowed in e.items()) for e in earlier):
            return True
    return False


def _yaml(rules: list[dict[str, list[str]]]) -> str:
    levels = "".join(f"  {r}: {{method: absolute, cuts: {list(range(len(n) - 1))}, names: [{', '.join(n)}]}}\n" for r, n in SCALES.items())
    conditions = [", ".join(f"{r}: [{', '.join(v)}]" for r, v in w.items()) for w in rules]
    segments = "".join(f"  - name: R{i}\n    when: {{{c}}}\n" for i, c in enumerate(conditions))
    return f"levels:\n{levels}segments:\n{segments}fallback: {{name: Others}}\n"


@settings(max_examples=200, deadline=None)
@given(rule_lists())
@example([{"income": ["high"]}, {"income": ["high"], "spending": ["low"]}])  # caught by one earlier rule
@example([{"income": ["high"]}, {"income": ["low", "medium"]}, {"income": ["low", "high"]}])  # by two together (regression)
@example([{"spending": ["high"]}, {"income": ["high"]}, {"income": ["high"], "age": ["young"]}])
def test_a_rule_is_refused_exactly_when_earlier_rules_always_catch_it(rules: list[dict[str, list[str]]]) -> None:
    import tempfile

    dead = next((i for i, w in enumerate(rules) if not _reachable(w, rules[:i])), None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "segments.yaml"
        path.write_text(_yaml(rules))
        if dead is None:
            assert [r.name for r in load_segments(path).rules] == [f"R{i}" for i in range(len(rules))]
        else:
            with pytest.raises(RuleError, match=rf"rule 'R{dead}': can never match, because rules? .* above it catch"):
                load_segments(path)
