"""Server-made HTML: the one place that escapes, cleans and links text (emails, transcript exports).

Rules: everything a user typed is escaped before it meets markup; markup that must pass through
(our own templates) is cleaned against a small allowlist; links may only be http, https or mailto.
This is the only module that imports bleach, so the allowlist cannot drift between call sites.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import bleach

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_PROTOCOLS",
    "ALLOWED_TAGS",
    "clean_html",
    "css_string",
    "escape_text",
    "paragraphs_to_html",
]

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {"a": ["href"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def escape_text(s: str) -> str:
    """Escape text for use inside HTML content or a quoted attribute."""
    return html.escape(s, quote=True)


def css_string(s: str) -> str:
    """Text as a quoted CSS string for a page's own <style> (a print footer's `content`):
    every character but letters, digits and spaces is a hex escape, so no quote, backslash,
    newline or ``</style>`` can end the string or the element (the space after each escape
    ends it and is not part of the text)."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in s) + '"'


def paragraphs_to_html(paragraphs: Iterable[str]) -> str:
    """Escape each paragraph and wrap it in <p>; line breaks inside become <br>."""
    return "\n".join(f"<p>{_lines_to_html(escape_text(p.strip()))}</p>" for p in paragraphs)


def clean_html(markup: str) -> str:
    """Strip every tag, attribute and link scheme outside the allowlist."""
    # A Cleaner holds parser state and is not thread-safe; exports may render in worker
    # threads, so build one per call (cheap next to the parse itself).
    cleaner = bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    cleaned: str = cleaner.clean(markup)
    return cleaned


def _lines_to_html(escaped: str) -> str:
    return "<br>".join(escaped.replace("\r\n", "\n").split("\n"))
