from pathlib import Path

import pytest

from reportgen.config import Settings, current_period
from reportgen.settings_file import load_settings
from reportgen.errors import ConfigError


def test_defaults_use_bundled_files_and_current_month() -> None:
    s = load_settings()
    assert s.data_path.name == "sample_customers.csv" and s.data_path.exists()
    assert s.segments_path.exists() and s.campaigns_path.exists()
    assert (s.templates_path / "briefing.html.j2").exists()
    assert s.period == current_period()
    assert s.features is None  # chosen from the data: income and spending on a mall table


def test_file_values_and_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "reportgen.yaml"
    cfg.write_text("data: customers.csv\nperiod: 2026-03\nclustering: {k: 4, seed: 7}\nreport: {organisation: Acme}\n")
    s = load_settings(cfg, {"period": "2026-04", "k": "auto"})
    assert s.data_path == tmp_path / "customers.csv"  # relative to the config file
    assert s.period == "2026-04" and s.clustering.k == "auto" and s.clustering.seed == 7
    assert s.report.organisation == "Acme"


def test_display_override_keeps_other_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("display: {income: {label: Income, prefix: '€', suffix: ''}}\n")
    s = load_settings(cfg)
    assert s.display["income"].prefix == "€" and s.display["spending"].label == "Spending score"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clustring: {k: 3}\n", "unknown setting 'clustring'. Did you mean 'clustering'?"),
        ("clustering: {kk: 3}\n", "Did you mean 'k'?"),
        ("period: 2026-13\n", "is not a month like 2026-11"),
        ("clustering: {k: 1}\n", "k must be 'auto' or a whole number from 2 to 10"),
        ("features: [income, income]\n", "features"),
        ("data: [unclosed\n", "line 2: YAML error"),
        ("- just\n- a list\n", "top level must be a mapping"),
    ],
)
def test_bad_config_is_named(tmp_path: Path, text: str, expected: str) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert expected in str(err.value)
    assert str(cfg) in str(err.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_example_config_is_valid() -> None:
    """The documented example stays in step with the settings model."""
    example = Path(__file__).resolve().parents[1] / "examples" / "marketing_campaign" / "reportgen.yaml"
    s = load_settings(example)
    assert isinstance(s, Settings)
    assert s.columns["customer_id"] == "ID"


def test_folded_title_and_subject_become_one_line(tmp_path: Path) -> None:
    """A YAML folded or literal block keeps line breaks that would break the mail's Subject header."""
    config = tmp_path / "reportgen.yaml"
    config.write_text("report:\n  title: |\n    Monthly\n    briefing\nemail:\n  subject: >\n    Segments\n\n    for   the month\n")
    settings = load_settings(config)
    assert settings.report.title == "Monthly briefing"
    assert settings.email.subject == "Segments for the month"


def test_out_in_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = tmp_path / "cfg" / "reportgen.yaml"
    config.parent.mkdir()
    config.write_text("out: ~/reports\n")
    assert load_settings(config).out == tmp_path / "reports"
    assert load_settings(None, {"out": "~/other"}).out == tmp_path / "other"


def test_sender_with_a_display_name_is_accepted() -> None:
    assert load_settings(None, {"email": {"sender": "Reports <reports@shop.example>"}}).email.sender == "Reports <reports@shop.example>"
