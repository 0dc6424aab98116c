"""render/textfit.py: text laid out for the room it has, at any name length."""

from __future__ import annotations

import math
import re

from reportgen.render import textfit

LONG = "Champions who buy often, spend the most and bought within the last fortnight (days since last purchase: highest)"


def test_lines_never_pass_their_width_nor_their_count() -> None:
    for text in (LONG, "A", "Averyveryverylongsinglewordwithoutanyspaceatallinit and more", "Hand-Thrown Stoneware Serving Bowl — 120 Pieces"):
        for px, most in ((60, 1), (120, 2), (170, 3), (400, 2)):
            out = textfit.lines(text, px, 13, most)
            assert 1 <= len(out) <= most
            assert all(textfit.width(line, 13) <= px + 0.01 for line in out), (text, px, out)
    assert textfit.lines("Short name", 300, 13, 2) == ["Short name"]
    assert textfit.lines(LONG, 2000, 13, 1) == [LONG]  # nothing cut when it fits


def test_a_cut_text_says_so_and_keeps_its_words_in_order() -> None:
    out = textfit.lines(LONG, 170, 13, 2)
    assert out[-1].endswith(textfit.ELLIPSIS)
    joined = " ".join(out).rstrip(textfit.ELLIPSIS)
    assert LONG.startswith(joined)


def test_names_that_shorten_alike_stay_apart() -> None:
    """Two long names with one beginning: each shows how it ends, so a legend tells them apart."""
    names = [LONG, LONG.replace("highest", "middle"), "Need attention"]
    out = textfit.distinct(names, 170, 13, 2)
    assert len(set(out)) == 3 and out[2] == "Need attention"
    assert "highest)" in out[0] and "middle)" in out[1]
    assert all(textfit.width(line, 13) <= 170 for label in out for line in label.split("<br>"))


def test_wrapped_text_is_escaped_for_plotly() -> None:
    assert textfit.wrap("<b>Bold</b> & <a href='x'>link</a>", 500, 13) == "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;a href='x'&gt;link&lt;/a&gt;"


def test_log_axes_get_a_few_round_ticks() -> None:
    """The orders box plot printed minor labels over each other ('9' on '8'): a log axis now carries
    at most eight round values, each readable."""
    for low, high in ((1, 100), (1, 9), (0.5, 40_000), (3, 3_000_000), (1e-3, 1e9)):
        ticks = textfit.log_ticks(low, high)
        assert 2 <= len(ticks) <= 8 and ticks == sorted(ticks), (low, high, ticks)
        assert all(low * 0.999 <= t <= high * 1.001 for t in ticks), (low, high, ticks)
        for t in ticks:
            mantissa = t / 10 ** math.floor(math.log10(t))
            assert round(mantissa, 6) in (1, 2, 3, 5), (low, high, ticks)
    assert textfit.log_ticks(12, 18) == [12, 18]  # no round value inside: the ends
    assert [textfit.tick_text(t) for t in (1, 20, 500, 2000, 1_500_000)] == ["1", "20", "500", "2k", "1.5M"]


def test_widths_follow_the_font() -> None:
    """DejaVu Sans advance widths: 'W' is wider than 'i', capitals than lower case, and an unknown
    character counts as wide."""
    assert textfit.width("W", 10) > textfit.width("i", 10) * 3
    assert textfit.width("LANDMARK FRAME", 12) > textfit.width("landmark frame", 12)
    assert textfit.width("東京", 10) == 20
    assert re.fullmatch(r"[^<>]*", textfit.shorten(LONG, 100, 13))
