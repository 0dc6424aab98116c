"""Branding: the organisation's logo and accent colour in every document; template overrides."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from reportgen.settings_file import load_settings
from reportgen.errors import ConfigError

MALL = Path(__file__).resolve().parents[2] / "shared" / "data" / "Mall_Customers.csv"


def _run(tmp_path: Path, config: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "reportgen.yaml"
    path.write_text(config)
    return subprocess.run([sys.executable, "-m", "reportgen", "run", "--config", str(path), "--period", "2026-10"], capture_output=True, text=True, cwd=tmp_path)


@pytest.fixture(scope="module")
def branded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("brand")
    Image.new("RGB", (240, 80), "#E4572E").save(tmp / "logo.png")
    (tmp / "mine").mkdir()
    (tmp / "mine" / "_accent.css.j2").write_text("h1, h2, h3 { color: {{ accent }}; } .mine-was-here { color: #000000; }\n")
    result = _run(tmp, f"data: {MALL}\nout: out\ntemplates: mine\nreport: {{organisation: Acme Stores, logo: logo.png, accent: '#e4572e'}}\n")
    assert result.returncode == 0, result.stderr
    return tmp / "out" / "2026-10"


@pytest.mark.e2e
def test_logo_and_accent_in_every_document(branded: Path) -> None:
    html = (branded / "report.html").read_text()
    assert "data:image/png;base64," in html and "#E4572E" in html and "Acme Stores" in html
    assert "mine-was-here" in html  # the override folder's file was used, the others fell back
    msg = email.message_from_bytes((branded / "report.eml").read_bytes(), policy=email.policy.default)
    cids = [p["Content-ID"] for p in msg.walk() if p.get_content_type() == "image/png"]
    assert cids.count("<logo@reportgen>") == 1
    body = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert 'src="cid:logo@reportgen"' in body and "#E4572E" in body
    images = subprocess.run(["pdfimages", "-list", str(branded / "briefing.pdf")], capture_output=True, text=True, check=True).stdout
    assert "240    80" in images or " 240 " in images  # the logo, on the cover and in the running header
    text = subprocess.run(["pdftotext", str(branded / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "Acme Stores" in text


def test_default_cover_names_no_organisation(tmp_path: Path) -> None:
    assert load_settings(None, {"data": str(MALL)}).report.organisation == ""


@pytest.mark.parametrize(
    "logo, message",
    [
        ("missing.png", "logo file"),
        ("https://example.com/logo.png", "is a URL"),
        ("logo.gif", "must be a .png or .svg"),
        ("fake.png", "is not a PNG image"),
    ],
)
def test_bad_logo_is_refused(tmp_path: Path, logo: str, message: str) -> None:
    (tmp_path / "fake.png").write_text("not a picture")
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    result = _run(tmp_path, f"data: {MALL}\nout: out\nreport: {{logo: '{logo}'}}\n")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_accent_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("report: {accent: red}\n")
    with pytest.raises(ConfigError, match="accent 'red' is not a colour"):
        load_settings(config)


@pytest.mark.e2e
def test_a_template_folder_needs_only_the_files_it_changes(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "_summary.html.j2").write_text("<section><h2>Our own summary</h2><p>{{ n_customers }} customers.</p></section>\n")
    result = _run(tmp_path, f"data: {MALL}\nout: out\ntemplates: mine\n")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "2026-10" / "report.html").read_text()
    assert "Our own summary" in html and "The segments at a glance" in html  # the rest is the bundled set


@pytest.mark.e2e
def test_svg_logo_is_a_png_in_the_email(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="120" height="40">'
        '<rect width="120" height="40" fill="#117733"/><image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>'
    )
    result = _run(tmp_path, f"data: {MALL}\nout: out\nreport: {{logo: logo.svg}}\n")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / "2026-10"
    msg = email.message_from_bytes((folder / "report.eml").read_bytes(), policy=email.policy.default)
    logo = next(p for p in msg.walk() if p["Content-ID"] == "<logo@reportgen>")
    assert logo.get_content_type() == "image/png" and logo.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "data:image/svg+xml;base64," in (folder / "report.html").read_text()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("truncated.png", None, "truncated.png' cannot be drawn (OSError: image file is truncated)"),
        ("bad-data.png", b"corrupt", "bad-data.png' cannot be drawn"),
        ("entity.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&x;</text></svg>',
         "entity.svg' declares XML entities or a DTD, which are refused"),
        ("laughs.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
         "declares XML entities or a DTD"),
        ("unclosed.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5"', "unclosed.svg' cannot be drawn"),
    ],
    ids=["truncated-png", "corrupt-png-data", "svg-entity", "svg-billion-laughs", "svg-unclosed"],
)
def test_a_logo_the_documents_cannot_draw_stops_the_run_before_any_work(name: str, content: bytes | None, expected: str, tmp_path: Path) -> None:
    """Decoded as the PDF engine (Pillow) and the email (CairoSVG, unsafe=False) will, when the settings
    load: before, a damaged PNG was dropped from the PDF silently and an SVG with entities was refused
    only at the email stage, after every other document was made."""
    good = tmp_path / "good.png"
    Image.new("RGB", (240, 80), "#E4572E").save(good)
    if content is None:
        (tmp_path / name).write_bytes(good.read_bytes()[:60])  # the signature and header, no image data
    elif name.endswith(".png"):
        data = good.read_bytes()
        at = data.index(b"IDAT") + 8
        (tmp_path / name).write_bytes(data[:at] + content + data[at + len(content):])
    else:
        (tmp_path / name).write_bytes(content)
    result = _run(tmp_path, f"data: {MALL}\nout: out\nreport: {{logo: {name}}}\n")
    assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()  # refused before any work: no folder, no history
