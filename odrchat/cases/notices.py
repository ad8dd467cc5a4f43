"""What the case service tells people by email and text message, in plain words.

Pure builders: words in, messages out. Nothing here names who ended a mediation or why, and no
message to one side carries the other side's email address or phone number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from odrchat.cases.kinds import CaseKind, is_court_filed, side_label
from odrchat.cases.machine import Outcome
from odrchat.cases.roles import Role, Side
from odrchat.cases.texts import closed_notice, format_date, odr_explainer
from odrchat.i18n import Texts
from odrchat.notify.email import EmailMessage, SmsMessage, build_email

KIND_LABELS = {
    CaseKind.SMALL_CLAIMS: "small claims case",
    CaseKind.UNLAWFUL_DETAINER: "unlawful detainer case",
    CaseKind.CIVIL_HARASSMENT: "civil harassment case",
    CaseKind.COMMUNITY: "community mediation",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """A subject and paragraphs, sent to each participant by `notify_participants`."""

    subject: str
    paragraphs: tuple[str, ...]


def case_link(public_url: str, case_id: int) -> str:
    return f"{public_url}/#/cases/{case_id}"


def invitation_link(public_url: str, token: str) -> str:
    return f"{public_url}/#/invite/{token}"


def describe_case(kind: CaseKind, court_case_number: str | None, court_name: str | None) -> str:
    """ "the small claims case 24SC01234 (Stanley Mosk Courthouse)" or "a community mediation"."""
    label = KIND_LABELS[kind]
    if not is_court_filed(kind):
        return f"a {label}"
    court = f" ({court_name})" if court_name else ""
    return f"the {label} {court_case_number}{court}"


def party_invitation(
    public_url: str,
    to: str,
    name: str,
    inviter: str,
    kind: CaseKind,
    side: Side,
    what: str,
    token: str,
    expires_at: datetime,
) -> EmailMessage:
    """The invitation to the other side: what ODR is, and one link to accept or say no."""
    return build_email(
        to,
        f"{inviter} invites you to try online mediation",
        [
            f"Hello {name},",
            f"{inviter} would like to try to resolve {what} through Online Dispute Resolution "
            f"(ODR). You are invited as the {side_label(kind, side).lower()}.",
            odr_explainer(kind),
            "Open the link below to read more, to agree to take part or to say no. If you do "
            "not have an account yet, you can create one from the same page.",
        ],
        ("Open the invitation", invitation_link(public_url, token)),
        f"This link works once and expires on {format_date(expires_at.date())}.",
    )


def attorney_invitation(
    public_url: str,
    to: str,
    name: str,
    party: str,
    kind: CaseKind,
    what: str,
    token: str,
    expires_at: datetime,
) -> EmailMessage:
    """A party's invitation to their own lawyer."""
    return build_email(
        to,
        f"{party} asks you to take part in an online mediation as their attorney",
        [
            f"Hello {name},",
            f"{party} is taking part in an Online Dispute Resolution (ODR) mediation of {what} "
            "and has asked you to take part as their attorney, with them or for them.",
            odr_explainer(kind),
        ],
        ("Open the invitation", invitation_link(public_url, token)),
        f"This link works once and expires on {format_date(expires_at.date())}.",
    )


def sms_lead(notice: Notice) -> str:
    """A short text pointing to the full message; the link follows it."""
    return f"ODR: {notice.subject}. Details:"


def sms_for(notice: Notice, link: str) -> str:
    """A short text pointing to the full message (texts stay short and carry no tokens)."""
    return f"{sms_lead(notice)} {link}"


def sms_message(to: str, notice: Notice, link: str) -> SmsMessage:
    return SmsMessage(to=to, text=sms_for(notice, link))


def invited_sms(inviter: str) -> str:
    """The text to an invitee's phone: the link itself goes by email only."""
    return (
        f"ODR: {inviter} invites you to try online mediation. We sent the details and your "
        "invitation link by email."
    )


def joined(kind: CaseKind, side: Side, name: str) -> Notice:
    return Notice(
        "The other side joined your case",
        (
            f"{name} ({side_label(kind, side).lower()}) accepted the invitation to mediate.",
            "Once both sides have agreed to mediate, CCR will assign a mediator.",
        ),
    )


def ready_for_mediator() -> Notice:
    return Notice(
        "Both sides agreed to mediate",
        (
            "Both sides accepted the agreement to mediate. CCR will assign a mediator soon, who "
            "will introduce themselves.",
        ),
    )


def mediator_intro(mediator: str, co_mediator: str | None, kind: CaseKind) -> str:
    """The mediator's introduction shown on the case to both sides."""
    with_co = f" {co_mediator} will work with me as co-mediator." if co_mediator else ""
    return (
        f"Hello, I am {mediator}, and I will be the mediator for your "
        f"{KIND_LABELS[kind]}.{with_co} I am neutral: I am not anyone's lawyer, I do not give "
        "legal advice and I do not decide the outcome. My job is to help both of you talk and "
        "look for an agreement that works for you. You can write to me privately at any time. "
        "Taking part is your choice, and either of you can stop at any time."
    )


def mediator_assigned(intro: str) -> Notice:
    return Notice("Your mediator has been assigned", (intro,))


def assigned_to_you(what: str, seat: str) -> Notice:
    return Notice(
        f"You have been assigned as {seat}",
        (f"CCR assigned you as {seat} for {what}. Please introduce yourself to the parties.",),
    )


ROLE_WORDS = {
    Role.ATTORNEY: "an attorney",
    Role.OBSERVER: "an observer (a mediator in training)",
    Role.MEDIATOR: "the mediator",
    Role.CO_MEDIATOR: "the co-mediator",
}


def participant_added(name: str, role_words: str) -> Notice:
    return Notice(
        "Someone new takes part in your case",
        (f"{name} now takes part in your case as {role_words}.",),
    )


def participant_removed(name: str) -> Notice:
    return Notice("Someone left your case", (f"{name} no longer takes part in your case.",))


def closed(outcome: Outcome, kind: CaseKind, hearing_date: date | None) -> Notice:
    """The one notice every participant gets when a case ends (never who or why)."""
    subject = {
        Outcome.DECLINED: "Mediation will not take place",
        Outcome.EXPIRED: "Mediation will not take place",
        Outcome.OPTED_OUT: "Mediation has ended",
        Outcome.IMPASSE: "Mediation has ended",
        Outcome.SETTLED: "Your mediation is complete",
    }[outcome]
    return Notice(subject, (closed_notice(outcome, kind, hearing_date),))


def paragraphs_with_greeting(name: str, paragraphs: Sequence[str]) -> list[str]:
    return [f"Hello {name},", *paragraphs]


# -- offers and agreements (no terms, amounts or chat text ever go into these) ---------------


def offer_made(what: str) -> Notice:
    """`what` is "a new offer", "a counter-offer" or "a mediator's proposal"."""
    return Notice(
        f"There is {what} in your mediation",
        (f"There is {what} in your case. Open your case to read it and answer.",),
    )


OFFER_WORDS = {
    "offer": "a new offer",
    "counter": "a counter-offer",
    "proposal": "a mediator's proposal",
}


def agreement_reached() -> Notice:
    return Notice(
        "Agreement reached: your mediator is preparing the text",
        (
            "Both sides accepted the same terms. Your mediator will now prepare the written "
            "agreement and send it to you to read and sign.",
        ),
    )


def signatures_voided(note: str) -> Notice:
    return Notice(
        "The agreement changed: signatures were voided",
        (note, "Please read the new text when your mediator sends it again."),
    )


def sign_please() -> Notice:
    return Notice(
        "Please read and sign your settlement agreement",
        (
            "Your mediator has sent the settlement agreement for signature. Open your "
            "case to read it. You can sign electronically, or ask your mediator for a "
            "paper copy.",
        ),
    )


def agreement_signed() -> Notice:
    return Notice(
        "Your signed settlement agreement",
        (
            "Every party has signed the settlement agreement. It is attached "
            "as a PDF, and you can download it from your case at any time.",
        ),
    )


def agreement_filed(filed_on: str) -> Notice:
    """`filed_on` is the filing date in words."""
    return Notice(
        "Your agreement was filed with the court",
        (f"CCR filed your signed agreement with the court on {filed_on}.",),
    )


def fee_reviewed(t: Texts, status: str) -> Notice:
    """The filing party of a community mediation hears the outcome of the fee review."""
    said = {
        "waived": t.gettext(
            "The mediation centre reviewed the fee for your community mediation: it is waived. "
            "You owe nothing for it."
        ),
        "paid": t.gettext(
            "The mediation centre reviewed the fee for your community mediation and recorded "
            "it as paid. Thank you."
        ),
        "due": t.gettext(
            "The mediation centre reviewed the fee for your community mediation: a fee is due. "
            "The centre will tell you how to pay it; mediation goes on meanwhile."
        ),
    }[status]
    return Notice(t.gettext("Fee review for your mediation"), (said,))
