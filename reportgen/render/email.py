"""Build the manager's email (never sends it): HTML with inline CSS and cid: images, text, PDF attached.

Structure: multipart/mixed [ multipart/alternative [ text/plain, multipart/related [ text/html,
image/png (inline, cid) ... ] ], application/pdf ]. Mail clients show cid: PNGs; they do not show
data: URIs or SVG, and Gmail clips HTML over ~102 KB.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import css_inline

from ..errors import RenderError

MAX_HTML_BYTES = 100_000


def cid_for(key: str, domain: str = "reportgen") -> str:
    """A stable Content-ID per chart, so the same run gives the same message apart from Date."""
    return f"{key}@{domain}"


def inline_css(html: str) -> str:
    """Move <style> rules into style attributes (mail clients drop <style> blocks)."""
    inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)
    return inliner.inline(html)


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
