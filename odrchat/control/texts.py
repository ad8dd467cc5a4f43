"""What a participant reads when the mediator's control of a room stops them writing.

Plain, calm words that never say why caucus mode is on (that may come from a safety screening)
and never blame anyone.
"""

from __future__ import annotations

REFUSALS = {
    "caucus": "The mediator is meeting each side separately. Write to the mediator in your "
    "private conversation.",
    "paused": "The mediator has paused the joint conversation. You can write again when it "
    "resumes.",
    "muted": "The mediator has paused your messages in the joint conversation for a while. "
    "You can still write to the mediator in your private conversation.",
    "removed": "You are no longer in the joint conversation. You can still write to the "
    "mediator in your private conversation.",
}
CANNOT_WRITE = "You cannot write in this room."


def refusal(block: str | None) -> str:
    """Why a message was refused (`error.message` of a `chat.send` answered `forbidden`)."""
    return REFUSALS.get(block or "", CANNOT_WRITE)
