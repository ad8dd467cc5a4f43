"""Transcripts as a viewer may see them: JSON, and a printable HTML page.

The export goes through the same access rule as the live socket, room by room, so a party's
export of a case holds the joint room and their own private room and nothing else. Text is
written exactly as stored; in HTML every piece of user text is escaped by the notify.html
module (the one place that makes server-side HTML).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from odrchat.notify.html import escape_text
from odrchat.rooms.log import StoredEvent


def event_line(event: StoredEvent) -> dict[str, Any]:
    """One exported record: every stored field a viewer may see."""
    return {"seq": event.seq, "type": event.type, "at": event.at.isoformat(), **event.body}


def render_html(
    case_id: int,
    title: str,
    rooms: Sequence[tuple[dict[str, Any], Sequence[StoredEvent]]],
    viewer: str,
    generated_at: str,
) -> str:
    """A self-contained printable page (no scripts, no external resources)."""
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape_text(title)}</title></head><body>",
        f"<h1>{escape_text(title)}</h1>",
        f"<p>Case {case_id}. Exported for {escape_text(viewer)} on "
        f"{escape_text(generated_at)}. This transcript shows only the conversations this person "
        "may see. Mediation communications are confidential and are not shared with the court.</p>",
    ]
    for room, events in rooms:
        parts.append(f"<h2>{escape_text(str(room['title']))}</h2>")
        parts.append(
            f"<p>Who can see this conversation: "
            f"{escape_text(', '.join(str(a) for a in room['audience']))}</p>"
        )
        for ev in events:
            at = escape_text(ev.at.strftime("%Y-%m-%d %H:%M UTC"))
            if ev.type == "chat.message":
                sender = ev.body.get("sender") or {}
                mark = " <em>(hidden from the parties by the mediator)</em>"
                parts.append(
                    f"<p><strong>{escape_text(str(sender.get('name', '')))}</strong> "
                    f"<small>{at} (#{ev.seq})</small>{mark if ev.body.get('hidden') else ''}<br>"
                    f"{escape_text(str(ev.body.get('text', ''))).replace(chr(10), '<br>')}</p>"
                )
            elif ev.type == "relay.message":
                by = ev.body.get("by") or {}
                parts.append(
                    f"<p><strong>Relayed by {escape_text(str(by.get('name', 'the mediator')))}"
                    f"</strong> <small>{at} (#{ev.seq})</small><br>"
                    f"{escape_text(str(ev.body.get('text', ''))).replace(chr(10), '<br>')}</p>"
                )
            elif ev.type == "document.shared":
                parts.append(_document_line(ev, at))
            else:
                parts.append(
                    f"<p><em>{at} (#{ev.seq}): {escape_text(ev.type.replace('.', ' '))}</em></p>"
                )
    parts.append("</body></html>")
    return "\n".join(parts)


def _document_line(ev: StoredEvent, at: str) -> str:
    """A shared document as a listing: who, the file's name, size and SHA-256, its caption."""
    sender = ev.body.get("sender") or {}
    doc = ev.body.get("document") or {}
    caption = str(doc.get("caption") or "")
    return (
        f"<p><strong>{escape_text(str(sender.get('name', '')))}</strong> "
        f"<small>{at} (#{ev.seq})</small><br>"
        f"Shared a document: {escape_text(str(doc.get('name', '')))} "
        f"({escape_text(str(doc.get('content_type', '')))}, {int(doc.get('size') or 0):,} bytes, "
        f"SHA-256 {escape_text(str(doc.get('sha256', '')))})"
        + (f"<br>{escape_text(caption).replace(chr(10), '<br>')}" if caption else "")
        + "</p>"
    )
