"""How a data location is read, decided once for every reader: Parquet or CSV, a CSV's delimiter and
encoding (from its bytes, stages/encodings.py), the decimal mark numbers have when nothing else
tells, and the checksum the manifest states. One machine's readers (stages/read.py, DuckDB) and the
Spark engine's read what this says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..files import sha256
from .read import PARQUET_SUFFIXES, comma_decimals, sniff

NOT_COMPUTED = "not computed (remote or folder input)"
DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Source:
    location: str
    local: bool  # a path on this machine (else a URL a cluster reads)
    parquet: bool  # a Parquet file, or a folder of them
    delimiter: str  # a CSV's
    encoding: str  # a local CSV's (utf-8-sig, utf-16, cp1252, latin-1); "" when not known here
    decimal_comma: bool  # numbers with nothing else to tell have a decimal comma
    checksum: str


def first_line_delimiter(line: str) -> str:
    """The delimiter of a CSV the machine cannot sniff (a URL): the one its first line has most of."""
    return max(DELIMITERS, key=line.count) if line and any(d in line for d in DELIMITERS) else ","


def describe(location: str, decimal: str = "auto", first_line: Callable[[], str] | None = None) -> Source:
    """The Source of --data: a local file is sniffed from its first bytes; a URL's CSV delimiter is
    read from its first line (`first_line`, which the engine that reads it supplies)."""
    local = "://" not in location
    path = Path(location)
    if local and not path.exists():
        raise DataError(f"{location}: file not found.", "Check the path given with --data or in the config.")
    checksum = sha256(path) if local and path.is_file() else NOT_COMPUTED
    if location.lower().rstrip("/").endswith(PARQUET_SUFFIXES) or (local and path.is_dir()):
        return Source(location, local, True, ",", "", False, checksum)
    if local:
        sniffed = sniff(path)
        delimiter, encoding = sniffed.delimiter, sniffed.encoding
    else:
        delimiter, encoding = first_line_delimiter(first_line() if first_line else ""), ""
    return Source(location, local, False, delimiter, encoding, comma_decimals(delimiter, decimal), checksum)
