"""Which text encoding a CSV file is in, decided from its bytes, and a UTF-8 copy for the readers
that take nothing else (DuckDB's CSV reader, Spark).

UTF-8 first: a file whose non-ASCII bytes are mostly valid UTF-8 is UTF-8, and the few bytes that
are not (a stray byte from a copy-paste) are read as U+FFFD and counted, so one bad byte no longer
turns every 'é' of the file into 'Ã©'. A file without valid UTF-8 is Windows-1252 when it decodes so
(what Excel on Western Windows writes; it has the euro sign at 0x80, which Latin-1 reads as a
control character), else Latin-1. UTF-16 needs its byte-order mark (stages/read.py checks that).

A detector library was tried (charset-normalizer 3.4): on short Western shop data ('José, São
Paulo, Müller, Köln' in Windows-1252) it chose mac_latin2 or cp1250, which garble 'ï' and 'ë', so
the rule above is used instead.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_HIGH = bytes(range(0x80, 0x100))


@dataclass(frozen=True)
class Decoding:
    encoding: str  # a Python codec: utf-8-sig, cp1252, latin-1, utf-16
    errors: str = "strict"  # "replace": a UTF-8 file with a few bytes that are not UTF-8
    damaged: int = 0  # those bytes (sequences), each read as U+FFFD
    first_damaged_line: int | None = None

    @property
    def plain_utf8(self) -> bool:
        """Readable as UTF-8 as it is (what DuckDB and Spark read without a copy)."""
        return self.encoding == "utf-8-sig" and not self.damaged


def decide(data: bytes) -> Decoding:
    """The encoding of these bytes (a whole file, or its head cut at a line end)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoding("utf-16")
    try:
        data.decode("utf-8")
        return Decoding("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = len(data) - len(data.translate(None, _HIGH)) - damaged  # bytes of well-formed multi-byte characters
    if valid >= 2 * damaged:
        first = text.find("\ufffd")
        return Decoding("utf-8-sig", "replace", damaged, text.count("\n", 0, first) + 1)
    try:
        data.decode("cp1252")
        return Decoding("cp1252")
    except UnicodeDecodeError:
        return Decoding("latin-1")


def _valid_utf8(path: Path, chunk: int = 1 << 24) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(chunk), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_text(path: Path) -> tuple[str, Decoding]:
    """The whole file as text, with how it was decoded."""
    data = path.read_bytes()
    found = decide(data)
    return data.decode(found.encoding, errors=found.errors), found


def note(path: Path, found: Decoding) -> str | None:
    """The Data quality note for a UTF-8 file with bytes that are not UTF-8."""
    if not found.damaged:
        return None
    return (
        f"{path.name} is UTF-8 but for {found.damaged:,} byte(s) that are not (first on line {found.first_damaged_line}); "
        "they are read as '\ufffd', every other character as written."
    )


@contextmanager
def utf8_copy(path: Path) -> Iterator[tuple[Path, Decoding]]:
    """The file itself when it is plain UTF-8, else a UTF-8 copy of it (removed afterwards), with how
    the original was decoded: for the readers that take only UTF-8. A UTF-8 file is checked in
    chunks, never held whole in memory."""
    if _valid_utf8(path):
        yield path, Decoding("utf-8-sig")
        return
    data = path.read_bytes()
    found = decide(data)
    folder = Path(tempfile.mkdtemp(prefix="reportgen-utf8-"))
    try:
        copy = folder / (path.stem + ".csv")
        copy.write_text(data.decode(found.encoding, errors=found.errors), encoding="utf-8", newline="")
        yield copy, found
    finally:
        shutil.rmtree(folder, ignore_errors=True)
