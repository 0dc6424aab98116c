"""Read a CSV or Parquet file into a frame of the columns asked for, fast when the file is clean.

CSV files in UTF-8 go through pyarrow's multi-threaded reader with the numeric columns typed on the
way in. If that reader objects (a value that is not a number, a ragged row, a decimal comma), the
file is read again as text with pandas, so every problem can be counted or named by line. Other
encodings (UTF-16 with BOM, Windows-1252, Latin-1) always take the text path.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path


from typing import TYPE_CHECKING, Any

from ..errors import DataError
from ..files import sha256

if TYPE_CHECKING:  # pandas is imported when a table is read, not when a header is checked
    import pandas as pd

PARQUET_SUFFIXES = (".parquet", ".pq")
HEAD_BYTES = 1 << 16
HEADER_BYTES = 1 << 20  # the longest header line read
NULLS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]


@dataclass(frozen=True)
class Raw:
    frame: Any  # pd.DataFrame (or a pyarrow Table, see read()): numeric columns as float64 where the fast path typed them, else text
    first_line: int  # file line of the first data row (for messages)
    checksum: str
    decimal_comma: bool
    lines: Any = None  # numpy array: each row's file line, when blank lines or quoted line breaks make them differ from first_line + row
    notes: tuple[str, ...] = ()  # for Data quality (bytes of a UTF-8 file that are not UTF-8)


@dataclass(frozen=True)
class Sniffed:
    encoding: str
    delimiter: str
    header: list[str]


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def _check_path(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: file not found.", "Check the path given with --data or in the config.")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a file.", "Give the path of a CSV or Parquet file.")


def _head(path: Path) -> bytes:
    """The file's first 64 KiB, and more when the header line is longer (up to HEADER_BYTES)."""
    _check_path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
            while len(head) < HEADER_BYTES and b"\n" not in head and b"\r" not in head:
                more = fh.read(HEAD_BYTES)
                if not more:
                    break
                head += more
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror}).", "Check the file's permissions.") from None
    if not head.strip():
        raise DataError(f"{path} is empty.", "Export the customer table again; it needs a header row and customers.")
    if len(head) >= HEADER_BYTES and b"\n" not in head and b"\r" not in head:
        raise DataError(f"{path}: the first line is longer than {HEADER_BYTES >> 20} MiB, so it is not a row of column names.", "Export the table as CSV with a header row.")
    return head


def _encoding(head: bytes, path: Path) -> str:
    """utf-8 (BOM or not), utf-16 (with BOM), else cp1252 / latin-1 as Excel on Windows writes (stages/encodings.py)."""
    if head.startswith(b"version https://git-lfs"):
        raise DataError(f"{path} is a Git LFS pointer, not the data.", "Run 'git lfs pull' to fetch the real file.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.count(b"\x00") > len(head) // 4 and b"\x00" not in head[::2]:
        raise DataError(f"{path} looks like UTF-16 text without a byte-order mark.", "Save it as UTF-8 (Excel: CSV UTF-8).")
    if head.startswith(b"PK\x03\x04"):
        raise DataError(f"{path} is a ZIP or Excel workbook, not a CSV.", "In Excel, save it as 'CSV UTF-8'.")
    if b"\x00" in head:
        raise DataError(f"{path} is a binary file, not a CSV.", "Export the table as CSV (or Parquet with a .parquet name).")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        raise DataError(f"{path} is JSON, not a CSV.", "Export the table as CSV (one row per customer or order line) or Parquet.")
    from .encodings import decide

    # a multi-byte character may be cut at the end of the sample; the whole file decides when it is read as text
    return decide(head if len(head) < HEAD_BYTES else head[: head.rfind(b"\n") + 1 or None]).encoding


def _delimiter(text: str) -> str:
    lines = text.splitlines()
    head = "\n".join(lines[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def _is_number(text: str, mark: str = ".") -> bool:
    if mark == ",":
        if "." in text:
            return False
        text = text.replace(",", ".")
    try:
        float(text)
    except ValueError:
        return False
    return True


def sniff(path: Path) -> Sniffed:
    """Encoding, delimiter and header of a CSV file, from its first 64 KiB."""
    head = _head(path)
    encoding = _encoding(head, path)
    text = head.decode(encoding, errors="ignore")
    delimiter = _delimiter(text)
    first = next(csv.reader(io.StringIO(text, newline=None), delimiter=delimiter), [])  # any line ending
    header = [c.strip() for c in first]
    if not header:
        raise DataError(f"{path} has no header row.", "The first line must name the columns.")
    if sum(_is_number(c) for c in header) * 2 >= len(header):
        raise DataError(
            f"{path}: the first line holds numbers, not column names.",
            "Add a header row (e.g. CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)).",
        )
    return Sniffed(encoding, delimiter, header)


def header(path: Path) -> list[str]:
    if is_parquet(path):
        _check_path(path)
        try:
            import pyarrow.parquet as pq

            return [str(n) for n in pq.read_schema(path).names]
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise DataError(f"{path}: not a readable Parquet file ({type(exc).__name__}).", "Export it again, or give a CSV.") from None
    return sniff(path).header


def comma_decimals(delimiter: str, decimal: str = "auto") -> bool:
    """Whether a number without other evidence has a decimal comma: the setting's mark, else a comma
    in a ';' file (a European export), else a point (stages/numbers.py then decides each column from
    its values). Every engine reads a file so (stages/source.py)."""
    return decimal == "comma" if decimal != "auto" else delimiter == ";"


def decimal_mark(sniffed: Sniffed, decimal: str = "auto") -> str:
    return "," if comma_decimals(sniffed.delimiter, decimal) else "."


def refuse_indistinct(path: Path | str, header: list[str], used: list[str]) -> None:
    """Stop when a column the run uses shares its name with another column but for upper and lower
    case ('Income', 'income', 'INCOME'), or repeats it exactly: the SQL engines (DuckDB, Spark)
    cannot tell such columns apart and would read one for the other."""
    alike: dict[str, list[str]] = {}
    for name in header:
        alike.setdefault(name.strip().casefold(), []).append(name.strip())
    for column in used:
        if not column.strip():
            raise DataError(f"{path}: a column without a name is used.", "Give every column used a name in the file's header row.")
        twins = alike.get(column.strip().casefold(), [])
        if len(twins) > 1:
            what = f"the column name '{column}' appears {len(twins)} times" if len(set(twins)) == 1 else (
                "columns " + ", ".join(f"'{t}'" for t in twins) + " differ only by upper and lower case"
            )
            raise DataError(
                f"{path}: {what}, and '{column}' is used; they cannot be told apart.",
                "Rename them in the file so that every column name differs by more than case.",
            )


def _fast_csv(path: Path, sniffed: Sniffed, columns: list[str], numeric: set[str], arrow: bool = False, decimal: str = "auto") -> Any:
    """pyarrow's reader with types on the way in; None when the file needs the careful path.
    A pandas frame, or with `arrow` the pyarrow Table itself (DuckDB reads it without a copy).
    Numbers are typed only when every cell of the column reads with the file's decimal mark and no
    thousands separator; anything else ('18.611' in a ';' file, '3,750') takes the careful path,
    where the column's convention is decided from all its values."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {c: (pa.float64() if c in numeric else pa.string()) for c in columns}
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sniffed.delimiter),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns, column_types=types, null_values=NULLS, strings_can_be_null=True, quoted_strings_can_be_null=True,
                decimal_point=decimal_mark(sniffed, decimal),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeDecodeError):
        return None
    if arrow:
        return table
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _numbers_in_head(path: Path, sniffed: Sniffed, candidates: set[str], mark: str = ".") -> set[str]:
    """The candidate columns whose every filled value in the first 64 KiB reads as a number."""
    if not candidates:
        return set()
    text = _head(path).decode(sniffed.encoding, errors="ignore")
    if len(text) >= HEAD_BYTES // 2:
        text = text[: text.rfind("\n") + 1]  # the last line may be cut
    rows = csv.reader(io.StringIO(text, newline=None), delimiter=sniffed.delimiter)
    head = [c.strip() for c in next(rows, [])]
    where = {c: head.index(c) for c in candidates if c in head}
    seen = dict.fromkeys(where, 0)
    for row in rows:
        for c, i in list(where.items()):
            value = row[i].strip() if i < len(row) else ""
            if value in NULLS:
                continue
            if not _is_number(value, mark):
                del where[c]
            else:
                seen[c] += 1
    return {c for c in where if seen[c]}


RAGGED_HINT = "Quote text that contains the delimiter (e.g. ids or names with commas), or fix that row."


def _check_first_row(path: Path, text: str, delimiter: str) -> None:
    """pandas reads a first data row with one field too many as 'the first column is the index' and
    shifts every column; later ragged rows are refused by its tokenizer. Check the first row here."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        head = next(reader, None)
        if head is None:
            return
        for row in reader:
            if not row:
                continue  # a blank line, skipped by the reader too
            if len(row) > len(head):
                raise DataError(f"{path} line {reader.line_num}: the row has {len(row)} fields, the header has {len(head)}.", RAGGED_HINT)
            return
    except csv.Error:
        return  # the tokenizer below names the problem


def refuse_ragged(path: Path, sniffed: Sniffed, fallback: str = "") -> None:
    """Raise the DataError for the first row with more fields than the header, named by the file's
    own line (a reader that widened the table for it would shift that row's values into the wrong
    columns; pandas' own line count is off after a quoted line break)."""
    text = path.read_bytes().decode(sniffed.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniffed.delimiter)
    try:
        head = next(reader, None) or []
        for row in reader:
            if len(row) > len(head):
                raise DataError(f"{path} line {reader.line_num}: the row has {len(row)} fields, the header has {len(head)}.", RAGGED_HINT)
    except csv.Error:
        pass
    raise DataError(f"{path}{fallback or ': a row has more fields than the header.'}", RAGGED_HINT)


def _slow_csv(path: Path, sniffed: Sniffed, columns: list[str]) -> tuple[pd.DataFrame, str | None]:
    """Every cell as text, so each bad value can be counted by row; the whole file decides its
    encoding (stages/encodings.py), and a note says when a UTF-8 file has bytes that are not."""
    import pandas as pd

    from . import encodings

    if sniffed.encoding == "utf-16":
        text, note = path.read_bytes().decode("utf-16"), None
    else:
        text, found = encodings.read_text(path)
        note = encodings.note(path, found)
    _check_first_row(path, text, sniffed.delimiter)
    try:
        # all columns: with usecols pandas would silently drop the extra fields of a ragged row;
        # index_col=False: never take the first column as the index when a row is one field longer
        frame = pd.read_csv(
            io.StringIO(text), sep=sniffed.delimiter, dtype=str, keep_default_na=False, skipinitialspace=True, index_col=False
        )
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            expected, line, saw = found.groups()
            what = f" line {line}: the row has {saw} fields, the header has {expected}."
        else:
            what = f": the file cannot be split into rows ({str(exc).splitlines()[0]})."
        refuse_ragged(path, sniffed, what)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} has no header row.", "The first line must name the columns.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.loc[:, [c for c in frame.columns if c in columns]], note


def read(
    path: Path, columns: list[str], numeric: set[str], arrow: bool = False, maybe_numeric: set[str] | frozenset[str] = frozenset(), decimal: str = "auto"
) -> Raw:
    """The named columns of the file; `numeric` ones typed as float64 when the file allows it.
    With `arrow`, a clean CSV comes back as a pyarrow Table (float64 and string columns, what the
    pandas frame would hold) instead of a pandas frame: a million rows are not converted twice.
    `maybe_numeric` columns (numbers or text, not known yet) are typed too when every value in the
    file's first 64 KiB is a number and pyarrow then converts the whole column; else they are read
    as text as before. A typed column skips the text probe and the text-to-number casts of the
    derivation (1.3 s at 10M rows for one column)."""
    import pandas as pd

    if is_parquet(path):
        try:
            frame = pd.read_parquet(path, columns=columns)
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise DataError(f"{path}: not a readable Parquet file ({type(exc).__name__}).", "Export it again, or give a CSV.") from None
        return Raw(frame, 1, sha256(path), False)
    sniffed = sniff(path)
    frame = None
    if sniffed.encoding in ("utf-8-sig",):
        guessed = _numbers_in_head(path, sniffed, maybe_numeric - numeric, decimal_mark(sniffed, decimal))
        frame = _fast_csv(path, sniffed, columns, numeric | guessed, arrow, decimal) if guessed else None
        if frame is None:  # a guessed column holds text further down (or nothing was guessed)
            frame = _fast_csv(path, sniffed, columns, numeric, arrow, decimal)
    note = None
    if frame is None:
        frame, note = _slow_csv(path, sniffed, columns)
    return Raw(frame, 2, sha256(path), decimal_mark(sniffed, decimal) == ",", record_lines(path, sniffed, len(frame)), (note,) if note else ())


def record_lines(path: Path, sniffed: Sniffed, n_rows: int) -> Any:
    """The file line each data row starts on, or None when that is simply row + 2 (no blank line
    and no quoted line break: the file has exactly one line per row after the header). Both
    readers skip blank lines and keep a quoted line break inside its value, so counting rows
    alone would name the wrong line in Data quality."""
    import numpy as np

    data = path.read_bytes()
    newline = b"\n" if b"\n" in data else b"\r"
    if sniffed.encoding == "utf-16":
        return None  # its bytes do not count lines; the text reader's rows are used as they are
    physical = data.count(newline) + (0 if data.endswith(newline) else 1)
    if physical == n_rows + 1:
        return None
    text = data.decode(sniffed.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniffed.delimiter)
    try:
        next(reader)
        starts = []
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if row:  # a blank line comes back as [] and is skipped by both readers
                starts.append(start)
    except csv.Error:
        return None
    return np.asarray(starts, dtype=np.int64) if len(starts) == n_rows else None
