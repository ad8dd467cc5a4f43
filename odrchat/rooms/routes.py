"""HTTP endpoints for transcripts and flags (live conversation goes over /ws)."""

from __future__ import annotations

from starlette.responses import Response

from odrchat.api import Call, Endpoint
from odrchat.errors import NotFound
from odrchat.i18n import N_
from odrchat.rooms.bodies import CaseRooms, Flags, Transcript
from odrchat.rooms.transcript import csp, event_line, render_html, style_of
from odrchat.store.types import utcnow


async def list_case_rooms(call: Call[None]) -> CaseRooms:
    """The rooms of a case I may read, as hello.rooms lists them (admins: every room)."""
    assert call.current is not None
    case_id = int(call.params["case_id"])
    rooms = await call.services.rooms.case_rooms(call.current.user, case_id)
    if not rooms:
        raise NotFound(N_("Not found."))
    return CaseRooms.model_validate(
        {"case_id": case_id, "rooms": [acc.describe(head) for acc, head in rooms]}
    )


async def get_transcript(call: Call[None]) -> Transcript:
    """Every conversation of the case that I may see, with who can see each."""
    assert call.current is not None
    case_id = int(call.params["case_id"])
    rooms = await call.services.rooms.transcript(call.current.user, case_id)
    if not rooms:
        raise NotFound(N_("Not found."))
    return Transcript.model_validate(
        {
            "case_id": case_id,
            "viewer": call.current.user.display_name,
            "generated_at": utcnow().isoformat(),
            "rooms": [
                {
                    "room": acc.room_id,
                    "kind": str(acc.ref.kind),
                    "title": acc.title,
                    "audience": seen,
                    "events": [event_line(e) for e in events],
                }
                for acc, seen, events in rooms
            ],
        }
    )


async def get_transcript_html(call: Call[None]) -> Response:
    """The same transcript as a printable page."""
    assert call.current is not None
    case_id = int(call.params["case_id"])
    rooms = await call.services.rooms.transcript(call.current.user, case_id)
    if not rooms:
        raise NotFound(N_("Not found."))
    page = render_html(
        await call.services.rooms.transcript_heading(case_id),
        [
            ({"title": acc.title, "audience": [a["name"] for a in seen]}, events)
            for acc, seen, events in rooms
        ],
        call.current.user.display_name,
        utcnow(),
        call.texts,
        call.services.settings.tz,
    )
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="case-{case_id}-transcript.html"',
            # Its own policy: nothing but the page's one inline style (by hash) may load.
            "Content-Security-Policy": csp(style_of(page)),
        },
    )


async def list_flags(call: Call[None]) -> Flags:
    """Messages mediators flagged for the administrator."""
    return Flags.model_validate({"flags": await call.services.rooms.flags()})


ENDPOINTS = (
    Endpoint(
        "GET",
        "/api/cases/{case_id:int}/rooms",
        list_case_rooms,
        "The rooms of a case I may read (ids for room.subscribe; admins: every room)",
        reply=CaseRooms,
        tag="rooms",
        responses=(404,),
    ),
    Endpoint(
        "GET",
        "/api/cases/{case_id:int}/transcript",
        get_transcript,
        "My transcript of a case (only the rooms I may see)",
        reply=Transcript,
        tag="rooms",
        responses=(404,),
    ),
    Endpoint(
        "GET",
        "/api/cases/{case_id:int}/transcript.html",
        get_transcript_html,
        "Printable transcript",
        tag="rooms",
        responses=(404,),
        media_type="text/html",
    ),
    Endpoint(
        "GET",
        "/api/admin/flags",
        list_flags,
        "Flagged messages",
        access="admin",
        reply=Flags,
        tag="admin",
    ),
)
