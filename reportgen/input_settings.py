"""The input section of the settings: what the reading stages (load, derive, probe, the order log)
may see. They take this, not the whole Settings, so how data is read cannot come to depend on the
report's text, the email or the engine's settings (the clustering stages take their own section,
config.Clustering, the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .definitions import FeatureSpec

if TYPE_CHECKING:
    from .config import Quality, Settings, Transactions


@dataclass(frozen=True)
class InputSettings:
    data_path: Path  # the data as a local file (the bundled sample when none is given)
    data_location: str  # the data as given: a local path, or a URL Spark reads
    source: str  # the settings file's name, for messages ("settings" when there is none)
    period: str  # the month the data is judged at (an order log's recency counts to its end)
    columns: dict[str, FeatureSpec]
    features: list[str] | None
    categories: dict[str, str]
    value: str | None
    map: list[str] | None
    valid: dict[str, tuple[float | None, float | None]]
    quality: Quality
    decimal: str
    transactions: Transactions | None


def input_of(settings: Settings) -> InputSettings:
    return InputSettings(
        settings.data_path, settings.data_location, settings.source, settings.period, settings.columns, settings.features, settings.categories,
        settings.value, settings.map, settings.valid, settings.quality, settings.decimal, settings.transactions,
    )
