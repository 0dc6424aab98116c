"""tests/pdfwords.py, the word-box reader the layout tests rely on: it must catch what it is for."""

from __future__ import annotations

import shutil
from pathlib import Path

from . import pdfwords


def test_pdfwords_catches_words_printed_over_each_other(tmp_path: Path) -> None:
    """The check itself fails on the fault it is for: two words drawn at one place."""
    from reportgen.render.pdf import write_pdf

    html = '<p style="position: absolute; top: 30mm; left: 30mm">Percentile</p><p style="position: absolute; top: 30.5mm; left: 32mm">Where</p>'
    write_pdf(html, tmp_path, tmp_path / "x.pdf")
    (page,) = pdfwords.pages(tmp_path / "x.pdf")
    assert [(a.text, b.text) for a, b in pdfwords.overlaps(page)] == [("Percentile", "Where")]
    assert shutil.which("pdftotext")
