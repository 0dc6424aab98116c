"""Build the manager's email (never sends it): HTML with inline CSS and cid: images, text, PDF attached.

Structure: multipart/mixed [ multipart/alternative [ text/plain, multipart/related [ text/html,
image/png (inline, cid) ... ] ], application/pdf ]. Mail clients show cid: PNGs; they do not show
data: URIs or SVG, and Gmail clips HTML over ~102 KB.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import css_inline

from ..errors import RenderError

MAX_HTML_BYTES = 100_000


def cid_for(key: str, domain: str = "reportgen") -> str:
    """A stable Content-ID per chart, so the same run gives the same message apart from Date."""
    return f"{key}@{domain}"


def inline_css(html: str) -> str:
    """Move <style> rules into style attributes (mail clients drop <style> blocks).

    css-inline re-serialises the page and, as HTML allows, leaves '<' and '>' unescaped inside
    attribute values (alt texts carry segment names). Webmail sanitisers that re-parse such markup
    have been fooled by it (mutation XSS), so every attribute and text is escaped again.
    """
    inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)
    return _Reescape.run(inliner.inline(html))


class _Reescape(HTMLParser):
    """Parse and write back HTML with every text and attribute value fully escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    @classmethod
    def run(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return "".join(parser.out)

    def _attrs(self, attrs: list[tuple[str, str | None]]) -> str:
        return "".join(f' {k}="{escape(v, quote=True)}"' if v is not None else f" {k}" for k, v in attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(f"<{tag}{self._attrs(attrs)}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(f"<{tag}{self._attrs(attrs)}>")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_comment(self, data: str) -> None:  # comments are dropped: nothing of ours needs them
        pass


def build_message(
    *,
    subject: str,
    sender: str,
    recipients: list[str],
    html: str,
    text: str,
    images: dict[str, Path],
    pdf: Path,
    pdf_name: str,
) -> EmailMessage:
    size = len(html.encode("utf-8"))
    if size > MAX_HTML_BYTES:
        raise RenderError(f"The email's HTML is {size:,} bytes; Gmail clips messages over ~102 KB.", "Shorten the email template.")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    if recipients:
        msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="reportgen")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]  # type: ignore[index]
    for key, path in images.items():
        html_part.add_related(
            path.read_bytes(), maintype="image", subtype="png", cid=f"<{cid_for(key)}>", disposition="inline", filename=path.name
        )
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf_name)
    return msg
