"""What the safety features say, in plain words: what happens after "need help", the refusals,
and the notices to mediators and administrators. Every text is a catalog msgid (`N_`), translated
where it is shown: replies in the request's language, notices in the recipient's.

No notice here carries an answer, a party's words or a chat message: a notice says only that a
case needs attention and links to it (the details are behind the login, for those who may see
them). The screening's questions themselves are the browser's (labels and catalogs).
"""

from __future__ import annotations

from odrchat.cases.notices import Notice
from odrchat.i18n import N_, Texts

# The reasons a party may pick, as a notice names them (never the party's own words).
HELP_REASONS = {
    "unsafe": N_("The party feels unsafe."),
    "upset": N_("The party needs a break or is upset."),
    "technical": N_("The party has a technical problem."),
    "question": N_("The party has a question for the mediator."),
}

EMERGENCY = N_("If you are in danger right now, call 911.")
NOT_PARTY_SCREENING = N_("Only a party answers the safety questions.")
NOT_PARTY_HELP = N_("Only a party can ask for help here.")
CLOSED = N_("This case is closed.")
NOT_ALLOWED_SCREENING = N_(
    "Only the mediators of this case and CCR administration see these answers."
)
TOO_SOON = N_(
    "We told your mediator a moment ago. They will answer as soon as they can. "
    "If you are in danger right now, call 911."
)
NOT_A_REASON = N_("choose one of the reasons")
NOT_ALLOWED_HELP = N_("Only the mediators of this case and CCR administration see help requests.")
NO_SUCH_HELP = N_("No such help request.")
ALREADY_HANDLED = N_("Someone has already marked this request as handled.")

_ONLINE = N_("Your mediator has been told and is online now. They will reply to you here.")
_OFFLINE = N_(
    "Your mediator has been told by email. They are not online right now, so CCR staff have "
    "been told too. Someone will contact you as soon as they can."
)
_NO_MEDIATOR = N_("CCR staff have been told. Someone will contact you as soon as they can.")
_NOT_TOLD = N_("The other side is not told that you asked for help.")
_STOP = N_("You can stop at any time: close this page, or stop mediation from the Case tab.")


def help_next_steps(t: Texts, mediators_online: bool, has_mediator: bool) -> list[str]:
    """What the party is told after pressing "need help", in their language."""
    first = _ONLINE if mediators_online else _OFFLINE if has_mediator else _NO_MEDIATOR
    return [t.gettext(first), t.gettext(_NOT_TOLD), t.gettext(_STOP), t.gettext(EMERGENCY)]


def screening_flagged(t: Texts, case_id: int) -> Notice:
    """To the case's mediators: a screening needs care; no detail leaves the site."""
    subject = t.gettext("Case #{case_id}: please read the safety screening", case_id=case_id)
    paragraphs = (
        t.gettext(
            "A party's answers to the safety questions in case #{case_id} call for care. "
            "The case runs in caucus mode (separate rooms).",
            case_id=case_id,
        ),
        t.gettext("Open the case to read the answers before you start."),
    )
    # Written already in the recipient's language (`t`).
    return Notice(lambda _: (subject, paragraphs))


def help_requested(t: Texts, case_id: int, reason: str, side: str) -> Notice:
    """To the case's mediators (and CCR staff when no mediator is online)."""
    subject = t.gettext("Case #{case_id}: a party asked for help", case_id=case_id)
    paragraphs = (
        t.gettext('The {side} in case #{case_id} pressed "need help".', side=side, case_id=case_id),
        t.gettext(HELP_REASONS[reason]),
        t.gettext("Please open the case and reply in that party's private room."),
    )
    # Written already in the recipient's language (`t`).
    return Notice(lambda _: (subject, paragraphs))
