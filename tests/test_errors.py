"""The catalogue of mistakes a user can make: each ends with exit code 2 and one line on stderr that
names the file (and line, column or rule), what is wrong and what to do, and no traceback.

Each case is a small file under tests/cases/. Rule cases are used through a settings file that
points at them; template cases change one file in a copy of the bundled templates.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.bundled import bundled_path

from .conftest import assert_no_report

CASES = Path(__file__).parent / "cases"

# (case file under tests/cases/data, extra options, what the message must say)
DATA_CASES = [
    ("empty.csv", [], "is empty"),
    ("blank_lines.csv", [], "is empty"),
    ("header_only.csv", [], "has a header but no customers"),
    ("no_header.csv", [], "the first line holds numbers, not column names"),
    ("binary.csv", [], "is a binary file, not a CSV"),
    ("excel.csv", [], "is a ZIP or Excel workbook"),
    ("json_records.csv", [], "is JSON, not a CSV"),
    ("sixty_columns.csv", [], "column_with_a_rather_long_descriptive_n… and 30 more."),
    ("utf16_no_bom.csv", [], "UTF-16 text without a byte-order mark"),
    ("lfs_pointer.csv", [], "is a Git LFS pointer"),
    ("colon_delimiter.csv", [], "no column for 'income'"),
    ("semicolon_text_only.csv", [], "Columns found: name, city"),
    ("missing_income.csv", [], "no column for 'income'"),
    ("typo_income.csv", [], "Did you mean 'Anual Incme (k$)'?"),
    ("not_numbers.csv", [], "feature 'income' uses column 'Annual Income (k$)' of not_numbers.csv as a number, but it holds text"),
    ("nan_values.csv", [], "15 of 20 rows are unusable"),
    ("absurd_values.csv", [], "'below the valid minimum 0'"),
    ("same_id.csv", [], "'duplicate customer id (first kept)'"),
    ("missing_ids.csv", [], "'missing customer id'"),
    ("too_few_rows.csv", [], "only 5 usable customers; at least 10 are needed"),
    ("ragged_row.csv", [], "line 12: the row has 7 fields, the header has 5"),
    ("ragged_first_row.csv", [], "line 2: the row has 6 fields, the header has 5"),
    ("ids_with_commas.csv", [], "line 2: the row has 6 fields, the header has 5"),
    ("damaged.parquet", [], "not a readable Parquet file"),
    ("folder.csv", [], "is a folder, not a file"),
    ("does_not_exist.csv", [], "file not found"),
    ("identical_rows.csv", [], "All 20 customers have the same income, spending"),
    ("three_points.csv", ["--k", "5"], "k=5 segments were asked for, but 3 distinct customers allow at most 3"),
]

CONFIG_CASES = [
    ("yaml_syntax.yaml", "line 4: YAML error"),
    ("unknown_key.yaml", "unknown setting 'clustring'. Did you mean 'clustering'?"),
    ("unknown_nested_key.yaml", "unknown setting 'clustering.kk'. Did you mean 'k'?"),
    ("bad_period.yaml", "'2026-13' is not a month like 2026-11"),
    ("period_traversal.yaml", "'../../etc' is not a month like 2026-11"),
    ("out_escapes.yaml", "out '../../../../etc/reportgen' leaves"),
    ("k_too_small.yaml", "k must be 'auto' or a whole number from 2 to 10"),
    ("k_range_reversed.yaml", "k_min (6) is larger than k_max (3)"),
    ("unsafe_tag.yaml", "YAML error: could not determine a constructor for the tag"),
    ("unknown_feature.yaml", "features: 'height' is not a configured feature"),
    ("column_near_miss.yaml", "feature 'income' uses column 'Annual Income', which is not in sample_customers.csv and is not a feature. Did you mean 'Annual Income (k$)'?"),
    ("list_not_mapping.yaml", "the top level must be a mapping"),
    ("bad_share.yaml", "setting 'quality.max_dropped_share'"),
    ("bad_valid_range.yaml", "setting 'valid.age'"),
    ("unknown_role_in_columns.yaml", "feature 'revenue' uses column 'Sales', which is not in sample_customers.csv and is not a feature"),
    ("does_not_exist.yaml", "does not exist"),
    ("nan_share.yaml", "setting 'quality.max_dropped_share': Input should be a finite number"),
    ("infinite_chart_timeout.yaml", "setting 'charts.timeout': Input should be a finite number"),
    ("infinite_smtp_timeout.yaml", "setting 'email.smtp.timeout': Input should be a finite number"),
    ("empty_smtp_host.yaml", "setting 'email.smtp.host'"),
    ("sender_line_break.yaml", "setting 'email.sender': 'reports@shop.example\\nBcc: everyone@rival.example' contains a line break"),
    ("recipient_line_break.yaml", "setting 'email.recipients': recipient 2: 'anna@shop.example\\r\\nBcc: x@rival.example' contains a line break"),
    ("sender_not_address.yaml", "'not an address' is not an e-mail address"),
    ("duplicate_key.yaml", "line 5: YAML error: the key 'clustering' is given twice (first on line 1)"),
    ("duplicate_nested_key.yaml", "line 4: YAML error: the key 'seed' is given twice (first on line 3)"),
    ("negative_seed.yaml", "setting 'clustering.seed': Input should be greater than or equal to 0"),
    ("huge_seed.yaml", "setting 'clustering.seed': Input should be less than or equal to 4294967295"),
]

# order logs (tests/cases/transactions), run for period 2011-12 with no config
TRANSACTION_CASES = [
    ("ragged_first_row.csv", "line 2: the row has 9 fields, the header has 8"),
    ("ragged_later_row.csv", "line 21: the row has 9 fields, the header has 8"),
    ("prices_not_numbers.csv", "no purchase line"),
    ("all_after_period.csv", "no purchase on or before 2011-12-31"),
    ("bad_dates.csv", "are not dates I can read"),
    ("all_cancelled.csv", "every line with a customer id is a cancellation or return"),
    ("no_ids.csv", "no line has a customer id in 'CustomerID'"),
    ("one_customer.csv", "only 1 customer made a purchase"),
    ("ambiguous_dates.csv", "cannot tell whether the dates in 'InvoiceDate' are day/month or month/day"),
    ("mixed_date_order.csv", "put the day first on some lines and the month first on others"),
]

# feature definitions under columns: (tests/cases/features, each on marketing_campaign.csv)
FEATURE_CASES = [
    ("ratio_one_operand.yaml", "setting 'columns.web_share.ratio': List should have at least 2 items"),
    ("ratio_three_operands.yaml", "setting 'columns.web_share.ratio': List should have at most 2 items"),
    ("empty_sum.yaml", "setting 'columns.spend.sum': List should have at least 1 item"),
    ("unknown_derivation.yaml", "setting 'columns.spend': a feature is a column name or one of {column: C}, {sum: [A, B]}"),
    ("list_not_definition.yaml", "setting 'columns.spend': a feature is a column name or one of"),
    ("misspelt_option.yaml", "unknown setting 'columns.spend.sensitve'. Did you mean 'sensitive'?"),
    ("sum_of_text.yaml", "feature 'spend' uses column 'Education' of marketing_campaign.csv as a number, but it holds text"),
    ("birth_year_typo.yaml", "feature 'age' uses column 'Year_Brth', which is not in marketing_campaign.csv and is not a feature. Did you mean 'Year_Birth'?"),
    ("days_since_numbers.yaml", "feature 'tenure' (column 'Recency'): the dates cannot be read"),
    ("feature_cycle.yaml", "features a -> b -> a refer to each other in a cycle"),
]

# (command-line options, what the message must say, what it must name): refused before any work
CLI_CASES = [
    (["--period", "2026-11\n"], "is not a month like 2026-11", "--period"),
    (["--period", "\uff12\uff10\uff12\uff16-11"], "is not a month like 2026-11", "--period"),
    (["--period", "\u0662\u0660\u0662\u0666-11"], "is not a month like 2026-11", "--period"),
    (["--seed", "-1"], "setting 'clustering.seed': Input should be greater than or equal to 0", "--seed"),
    (["--seed", "99999999999999999999999"], "Input should be less than or equal to 4294967295", "--seed"),
    (["--send", "--to", "boss@shop.example\nBcc: everyone@rival.example"], "contains a line break", "--to"),
    (["--send", "--to", "boss at shop"], "is not an e-mail address", "--to"),
    (["--send"], "no recipients to send the report to", "--send"),
]

RULE_CASES = [
    ("segments_yaml_error.yaml", "line 7: YAML error"),
    ("segments_unknown_role.yaml", "line 5, rule 'A': unknown feature 'incme'. Did you mean 'income'?"),
    ("segments_unknown_level.yaml", "line 5, rule 'A': unknown level 'hihg' for 'income'. Did you mean 'high'?"),
    ("segments_shadowed.yaml", "rule 'Rich spenders': can never match, because rule 'Rich' (line 5)"),
    ("segments_no_fallback.yaml", "fallback: Field required"),
    ("segments_unknown_key.yaml", "unknown key 'wen' (at segments.0.wen). Did you mean 'when'?"),
    ("segments_empty_levels.yaml", "role 'income' allows no level, so the rule can never match"),
    ("segments_unsafe_tag.yaml", "YAML error: could not determine a constructor"),
    ("segments_bad_cuts.yaml", "the cuts for 'income' must be strictly ascending"),
    ("segments_infinite_cut.yaml", "levels.income.cuts.1: Input should be a finite number"),
    ("segments_nan_cut.yaml", "levels.income.cuts.0: Input should be a finite number"),
    ("segments_duplicate_key.yaml", "line 6: YAML error: the key 'when' is given twice (first on line 5)"),
    ("campaigns_unknown_segment.yaml", "campaigns for 'Premium spender', which no rule in segments.yaml names. Did you mean 'Premium spenders'?"),
    ("campaigns_missing_field.yaml", "campaigns.Premium spenders.0.kpi: Field required"),
    ("campaigns_bad_budget.yaml", "campaigns.Premium spenders.0.budget_share"),
    ("campaigns_not_a_list.yaml", "campaigns.Premium spenders: Input should be a valid list"),
]

# (template to replace or delete, new text or None to delete, what the message must say)
TEMPLATE_CASES = [
    ("_segment.html.j2", "{% if s.name %}never closed\n", "_segment.html.j2 line 1: template syntax error: Unexpected end of template"),
    ("_segment.html.j2", "{{ s.no_such_value }}\n", "_segment.html.j2 line 1: the template uses an unknown value: 'dict object' has no attribute 'no_such_value'."),
    ("_segment.html.j2", "{{ s.__class__.__mro__ }}\n", "_segment.html.j2 line 1: the template tried an unsafe operation: access to attribute '__class__' of 'dict' object is unsafe."),
    ("email.txt.j2", "{{ title\n", "email.txt.j2 line 1: template syntax error"),
]


def _fails_cleanly(args: list[str], expected: str, name: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith("reportgen: ")
    assert "Traceback" not in result.output
    assert name in lines[0], f"the message should name {name}: {lines[0]}"
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(("case", "options", "expected"), DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_data_case(case: str, options: list[str], expected: str, tmp_path: Path) -> None:
    path = CASES / "data" / case
    _fails_cleanly(["run", "--data", str(path), "--out", str(tmp_path), *options], expected, case)
    assert_no_report(tmp_path)


@pytest.mark.parametrize(("case", "expected"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_config_case(case: str, expected: str, tmp_path: Path) -> None:
    config = CASES / "config" / case
    data = bundled_path("data", "sample_customers.csv")
    named = data.name if case == "column_near_miss.yaml" else case  # the data file lacks the column
    _fails_cleanly(["run", "--config", str(config), "--data", str(data), "--out", str(tmp_path)], expected, named)


@pytest.mark.parametrize(("options", "expected", "name"), CLI_CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(CLI_CASES)])
def test_cli_case(options: list[str], expected: str, name: str, tmp_path: Path) -> None:
    _fails_cleanly(["run", "--out", str(tmp_path), *options], expected, name)
    assert list(tmp_path.iterdir()) == []  # refused before any work: no report, no ledger line, no lock


@pytest.mark.parametrize(("case", "expected"), TRANSACTION_CASES, ids=[c[0] for c in TRANSACTION_CASES])
def test_transaction_case(case: str, expected: str, tmp_path: Path) -> None:
    path = CASES / "transactions" / case
    _fails_cleanly(["run", "--data", str(path), "--period", "2011-12", "--out", str(tmp_path)], expected, case)
    assert_no_report(tmp_path)


@pytest.mark.parametrize(("case", "expected"), FEATURE_CASES, ids=[c[0] for c in FEATURE_CASES])
def test_feature_case(case: str, expected: str, tmp_path: Path) -> None:
    config = CASES / "features" / case
    _fails_cleanly(["run", "--config", str(config), "--period", "2014-07", "--out", str(tmp_path)], expected, case)


def test_fewer_rows_than_k(tmp_path: Path) -> None:
    config = CASES / "config" / "fewer_rows_than_k.yaml"
    data = CASES / "config" / "fewer_rows_than_k.csv"
    _fails_cleanly(["run", "--config", str(config), "--data", str(data), "--out", str(tmp_path)], "k=5 segments were asked for, but 4 distinct customers allow at most 3", "Use --k 3")


@pytest.mark.parametrize(("case", "expected"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rule_case(case: str, expected: str, tmp_path: Path) -> None:
    rules = CASES / "rules" / case
    key = "segments_rules" if case.startswith("segments") else "campaigns_rules"
    config = tmp_path / "reportgen.yaml"
    config.write_text(f"{key}: {rules}\n")
    _fails_cleanly(["run", "--config", str(config), "--out", str(tmp_path / "out")], expected, case)


@pytest.mark.parametrize(("name", "text", "expected"), TEMPLATE_CASES, ids=["syntax", "undefined", "unsafe", "email-syntax"])
def test_template_case(name: str, text: str | None, expected: str, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(bundled_path("templates"), templates)
    if text is None:
        (templates / name).unlink()
    else:
        (templates / name).write_text(text)
    config = tmp_path / "reportgen.yaml"
    config.write_text("templates: templates\n")
    _fails_cleanly(["run", "--config", str(config), "--out", str(tmp_path / "out")], expected, name)
    assert_no_report(tmp_path / "out")


@pytest.mark.parametrize(
    ("out", "expected"),
    [("../../../../../etc/reportgen", "leaves"), ("/etc/reportgen", "inside the system folder /etc"), ("/proc/x", "system folder /proc")],
)
def test_out_paths_cannot_escape(out: str, expected: str) -> None:
    _fails_cleanly(["run", "--out", out], expected, "--out")


def test_every_case_file_is_run_and_every_listed_case_exists() -> None:
    """A case file nobody runs is a mistake the catalogue only seems to cover; a listed case whose file
    is gone would test "file not found" instead of its own mistake."""
    listed = {("data", c) for c, _, _ in DATA_CASES} | {("config", c) for c, _ in CONFIG_CASES} | {("rules", c) for c, _ in RULE_CASES}
    listed |= {("transactions", c) for c, _ in TRANSACTION_CASES} | {("features", c) for c, _ in FEATURE_CASES}
    on_disk = {(p.parent.name, p.name) for p in CASES.glob("*/*")}
    assert sorted(x for x in listed - on_disk if not x[1].startswith("does_not_exist")) == []
    sources = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    assert sorted(f"{kind}/{name}" for kind, name in on_disk - listed if f'"{name}"' not in sources) == []
