"""Transcripts as a viewer may see them: JSON, and a printable HTML page.

The export goes through the same access rule as the live socket, room by room, so a party's
export of a case holds the joint room and their own private room and nothing else. Text is
written exactly as stored; in HTML every piece of text (the catalogs' and the users') is
escaped by the notify.html module (the one place that makes server-side HTML).

The printable page is a court paper: US Letter, a caption block (court, case number, short
title, the conversations included), the case number in a running footer on every printed page
(`position: fixed` repeats on each page when printed), every label from the reader's catalog
and every time in the centre's time zone with the zone named. Stored times stay UTC.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from odrchat.i18n import N_, Texts
from odrchat.notify.html import css_string, escape_text
from odrchat.rooms.log import StoredEvent

# The page's style: inline, allowed by its hash in the response's own CSP (see `csp`). The
# running footer is a page margin box, so it prints in the bottom margin of every page.
STYLE = (
    "@page{{size:letter;margin:0.75in 0.75in 1in 0.75in;"
    "@bottom-left{{content:{footer};font:9pt Georgia,serif}}"
    "@bottom-right{{content:{page};font:9pt Georgia,serif}}}}"
    "body{{font:11pt/1.4 Georgia,'Times New Roman',serif;margin:0;color:#000}}"
    "@media screen{{body{{margin:1em auto;max-width:7in;padding:0 1em}}}}"
    ".caption{{border:1px solid #000;padding:0.5em 0.75em;margin-bottom:1em}}"
    ".caption p{{margin:0.15em 0}}"
    "h1{{font-size:14pt}}h2{{font-size:12pt;break-after:avoid}}p{{break-inside:avoid}}"
)


def csp(style: str) -> str:
    """The transcript's own policy: nothing may load or run but its one inline style."""
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def style_of(page: str) -> str:
    """The inline style of a page `render_html` made."""
    return page.split("<style>", 1)[1].split("</style>", 1)[0]


HIDDEN = N_("(hidden from the parties by the mediator)")


@dataclass(frozen=True, slots=True)
class Heading:
    """What the caption names: the court and its case number, or the centre's case id."""

    case_id: int
    court_name: str | None = None
    court_case_number: str | None = None
    short_title: str | None = None  # "Perez v. Diaz", court cases whose two sides are known

    @property
    def number(self) -> str:
        """The number the paper is filed under: the court's, else the centre's ("#12")."""
        return self.court_case_number or f"#{self.case_id}"


def event_line(event: StoredEvent) -> dict[str, Any]:
    """One exported record: every stored field a viewer may see."""
    return {"seq": event.seq, "type": event.type, "at": event.at.isoformat(), **event.body}


def when(t: Texts, moment: datetime, tz: ZoneInfo) -> str:
    """A moment in the centre's zone, the reader's way: "Dec 3, 2026, 6:05 AM PST"."""
    day = t.format_date(moment.astimezone(tz), "medium")
    clock = t.format_time(moment, "h:mm a z", tz=tz)
    return str(t.locale.datetime_formats["medium"]).format(clock, day)


def _say(t: Texts, message: str, /, **values: object) -> str:
    """A catalog text with its values filled in, escaped as a whole (values included)."""
    return escape_text(t.gettext(message, **values))


def _page_counter(t: Texts) -> str:
    """ "Page 2 of 5" as CSS content: the catalog's words around the page counters."""
    marked = t.gettext("Page {page} of {pages}", page="\0page\0", pages="\0pages\0")
    out = []
    for i, piece in enumerate(marked.split("\0")):
        if i % 2:
            out.append(f"counter({'pages' if piece == 'pages' else 'page'})")
        elif piece:
            out.append(css_string(piece))
    return " ".join(out)


def _lines(text: str) -> str:
    return escape_text(text).replace("\n", "<br>")


def render_html(
    heading: Heading,
    rooms: Sequence[tuple[dict[str, Any], Sequence[StoredEvent]]],
    viewer: str,
    generated_at: datetime,
    t: Texts,
    tz: ZoneInfo,
) -> str:
    """A self-contained printable page (no scripts, no external resources)."""
    title = t.gettext("Mediation transcript, case {number}", number=heading.number)
    lines = []
    if heading.court_name:
        lines.append(f"<strong>{escape_text(heading.court_name)}</strong>")
    if heading.court_case_number:
        lines.append(_say(t, N_("Case number: {number}"), number=heading.number))
    else:
        lines.append(
            _say(t, N_("Community mediation, centre case {number}"), number=heading.number)
        )
    if heading.short_title:
        lines.append(_say(t, N_("Short title: {title}"), title=heading.short_title))
    names = ", ".join(str(room["title"]) for room, _ in rooms)
    lines.append(_say(t, N_("Conversations in this transcript: {names}"), names=names))
    caption = "".join(f"<p>{line}</p>" for line in lines)
    footer = t.gettext("Mediation transcript · Case number {number}", number=heading.number)
    style = STYLE.format(footer=css_string(footer), page=_page_counter(t))
    parts = [
        f'<!doctype html><html lang="{escape_text(t.language)}"><head><meta charset="utf-8">',
        f"<title>{escape_text(title)}</title><style>{style}</style></head><body>",
        f'<section class="caption">{caption}</section>',
        f"<h1>{escape_text(title)}</h1>",
        "<p>"
        + _say(
            t,
            N_(
                "Exported for {name} on {when}. This transcript shows only the conversations "
                "this person may see. Mediation communications are confidential and are not "
                "shared with the court."
            ),
            name=viewer,
            when=when(t, generated_at, tz),
        )
        + "</p>",
    ]
    for room, events in rooms:
        parts.append(f"<h2>{escape_text(str(room['title']))}</h2>")
        audience = ", ".join(str(a) for a in room["audience"])
        seen = _say(t, N_("Who can see this conversation: {names}"), names=audience)
        parts.append(f"<p>{seen}</p>")
        for ev in events:
            at = f"{escape_text(when(t, ev.at, tz))} (#{ev.seq})"
            if ev.type == "chat.message":
                sender = ev.body.get("sender") or {}
                mark = " <em>" + _say(t, HIDDEN) + "</em>" if ev.body.get("hidden") else ""
                parts.append(
                    f"<p><strong>{escape_text(str(sender.get('name', '')))}</strong> "
                    f"<small>{at}</small>{mark}<br>{_lines(str(ev.body.get('text', '')))}</p>"
                )
            elif ev.type == "relay.message":
                by = (ev.body.get("by") or {}).get("name") or t.gettext("the mediator")
                relayed = _say(t, N_("Relayed by {name}"), name=str(by))
                parts.append(
                    f"<p><strong>{relayed}</strong> "
                    f"<small>{at}</small><br>{_lines(str(ev.body.get('text', '')))}</p>"
                )
            elif ev.type == "document.shared":
                parts.append(_document_line(ev, at, t))
            else:
                kind = ev.type.replace(".", " ")
                kind = _say(t, N_("Room event: {kind}"), kind=kind)
                parts.append(f"<p><em>{at}: {kind}</em></p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _document_line(ev: StoredEvent, at: str, t: Texts) -> str:
    """A shared document as a listing: who, the file's name, size and SHA-256, its caption."""
    sender = ev.body.get("sender") or {}
    doc = ev.body.get("document") or {}
    caption = str(doc.get("caption") or "")
    size = int(doc.get("size") or 0)
    shared = t.ngettext(
        "Shared a document: {name} ({type}, {n} byte, SHA-256 {sha256})",
        "Shared a document: {name} ({type}, {n} bytes, SHA-256 {sha256})",
        size,
        name=str(doc.get("name", "")),
        type=str(doc.get("content_type", "")),
        sha256=str(doc.get("sha256", "")),
    )
    return (
        f"<p><strong>{escape_text(str(sender.get('name', '')))}</strong> "
        f"<small>{at}</small><br>{escape_text(shared)}"
        + (f"<br>{_lines(caption)}" if caption else "")
        + "</p>"
    )
