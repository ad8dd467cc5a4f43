"""What the safety features say, in plain words: the screening's questions, what happens after
"need help", and the notices to mediators and administrators.

No notice here carries an answer, a party's words or a chat message: a notice says only that a
case needs attention and links to it (the details are behind the login, for those who may see
them).
"""

from __future__ import annotations

from odrchat.cases.notices import Notice

# The screening's questions, as the party's form asks them (the browser has its own copies in
# labels.js; the mediator's view uses these keys).
QUESTIONS = {
    "order": "Is there a restraining order or protective order between you and the other "
    "side, or has one been asked for?",
    "afraid": "Are you afraid for your safety, or has the other side hurt or threatened you?",
    "support_person": "Would you like a support person with you during mediation?",
    "accommodation": "Do you need an accommodation, such as an interpreter, more time or help "
    "because of a disability?",
    "note": "Anything else the mediator should know (optional)",
}

HELP_REASONS = {
    "unsafe": "feels unsafe",
    "upset": "needs a break or is upset",
    "technical": "has a technical problem",
    "question": "has a question for the mediator",
}

EMERGENCY = "If you are in danger right now, call 911."

NOT_PARTY_SCREENING = "Only a party answers the safety questions."
NOT_PARTY_HELP = "Only a party can ask for help here."
CLOSED = "This case is closed."
NOT_ALLOWED_SCREENING = "Only the mediators of this case and CCR administration see these answers."
TOO_SOON = "We told your mediator a moment ago. They will answer as soon as they can. " + EMERGENCY


def help_next_steps(mediators_online: bool, has_mediator: bool) -> list[str]:
    """What the party is told after pressing "need help"."""
    if mediators_online:
        first = "Your mediator has been told and is online now. They will reply to you here."
    elif has_mediator:
        first = (
            "Your mediator has been told by email. They are not online right now, so CCR staff "
            "have been told too. Someone will contact you as soon as they can."
        )
    else:
        first = "CCR staff have been told. Someone will contact you as soon as they can."
    return [
        first,
        "The other side is not told that you asked for help.",
        "You can stop the conversation at any time: close this page, or stop mediation from "
        "the Case tab.",
        EMERGENCY,
    ]


def screening_flagged(case_id: int) -> Notice:
    """To the case's mediators: a screening needs care; no detail leaves the site."""
    return Notice(
        subject=f"Case #{case_id}: please read the safety screening",
        paragraphs=(
            f"A party's answers to the safety questions in case #{case_id} call for care. "
            "The case will run in caucus mode (separate rooms).",
            "Open the case to read the answers before you start.",
        ),
    )


def help_requested(case_id: int, reason: str, side: str) -> Notice:
    """To the case's mediators (and CCR staff when no mediator is online)."""
    return Notice(
        subject=f"Case #{case_id}: a party asked for help",
        paragraphs=(
            f'The {side} in case #{case_id} pressed "need help": the party {HELP_REASONS[reason]}.',
            "Please open the case and reply in that party's private room.",
        ),
    )
