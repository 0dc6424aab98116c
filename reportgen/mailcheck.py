"""Values that end in a mail header or a document, checked when the settings are read: one address
on one line (a line break would let a value write its own mail headers), text folded to one line, a
logo the PDF and the email can both draw."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import ConfigError


def fold(value: Any) -> Any:
    """Text that ends in a mail header or a one-line heading: every run of whitespace (a YAML folded
    or literal block's line breaks included) becomes one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


_ADDRESS = re.compile(r"[^\s@<>,;]+@[^\s@<>,;]+")


def breaks_line(value: str) -> bool:
    """A line break as Python's mail library sees one (str.splitlines: also U+2028, U+2029, U+0085,
    \\x1c-\\x1e) or another control character: never in a value that ends in a mail header."""
    import unicodedata

    return len(f"x{value}x".splitlines()) > 1 or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value)


def address_problem(value: str) -> str | None:
    from email.utils import parseaddr

    if breaks_line(value):
        return f"{value!r} contains a line break or control character; write each address on one line"
    if not _ADDRESS.fullmatch(parseaddr(value)[1]):
        return f"{value!r} is not an e-mail address like name@example.com"
    return None


def check_address(value: str, where: str) -> str:
    """One e-mail address on one line; a line break would let a value write its own mail headers."""
    problem = address_problem(value)
    if problem:
        raise ConfigError(f"{where}: {problem}.", "Fix the address and run again.")
    return value.strip()


def undrawable(path: Path) -> str | None:
    """Why the documents could not draw the logo, found before any work starts: a PNG is decoded
    whole as the PDF engine decodes it (Pillow: a damaged file would be dropped from the PDF
    silently), an SVG drawn as the email draws it (CairoSVG, unsafe=False: no entity declarations,
    no external references)."""
    try:
        if path.suffix.lower() == ".png":
            from PIL import Image

            with Image.open(path) as image:
                image.load()
        else:
            import cairosvg

            cairosvg.svg2png(bytestring=path.read_bytes(), output_height=16, unsafe=False)
    except Exception as exc:  # Pillow and CairoSVG raise many types for a damaged or unsafe file
        if "Entities" in type(exc).__name__ or "DTD" in type(exc).__name__:
            return "declares XML entities or a DTD, which are refused (they can expand without end or read other files)"
        return f"cannot be drawn ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else 'damaged'})"
    return None
