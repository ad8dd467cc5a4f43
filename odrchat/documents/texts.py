"""Every sentence about documents that a person reads, in one place for the message catalog."""

from __future__ import annotations

from typing import Final

from odrchat.i18n import N_

REFUSALS: Final[dict[str, str]] = {
    "too_big": N_(
        "This file is larger than {limit} MB. Please send a smaller file or a photo of fewer pages."
    ),
    "wrong_type": N_(
        "This kind of file cannot be shared here. Please send a photo (JPEG, PNG or HEIC) or a PDF."
    ),
    "unreadable": N_("This file could not be read. It may be damaged; please try saving it again."),
    "too_many_pixels": N_("This picture is too large to process. Please send a smaller photo."),
    "empty": N_("This file is empty."),
    "infected": N_("This file was refused by the safety check and was not shared."),
    "user_quota": N_(
        "You have used all the space for documents in this case ({limit} MB). Please "
        "ask your mediator for help."
    ),
    "case_quota": N_(
        "This case has used all of its space for documents ({limit} MB). Please ask "
        "your mediator for help."
    ),
    "rate_limited": N_(
        "You have sent many files in a short time. Please wait a while and try again."
    ),
    "not_allowed": N_("You cannot share documents in this room."),
    "upload_id_reused": N_("This upload id was already used for a different file."),
    "not_owner": N_("Only the person who shared a document can share it with the other side."),
    "not_private": N_("Only documents from your private room can be shared with the other side."),
    "not_ended": N_(
        "Your documents can be downloaded together once the mediation has ended "
        "without an agreement."
    ),
    "confirm_share": N_("Please confirm that you want the other side to see this document."),
}


def refusal(code: str, **values: object) -> str:
    """The sentence for a refusal code, with its numbers filled in."""
    return REFUSALS[code].format(**values)
