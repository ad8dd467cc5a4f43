"""What the case service tells people by email and text message, in plain words.

Pure builders: words in, messages out, each written in its reader's language (`Texts`, from
odrchat.i18n). A `Notice` is built once and written per recipient when it is sent. Nothing here
names who ended a mediation or why, and no message to one side carries the other side's email
address or phone number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from odrchat.cases.kinds import CaseKind, is_court_filed, side_label
from odrchat.cases.machine import Outcome
from odrchat.cases.roles import Role, Side
from odrchat.cases.texts import closed_notice, odr_explainer
from odrchat.i18n import N_, Texts, languages, texts_for
from odrchat.notify.email import EmailMessage, SmsMessage, build_email

KIND_LABELS = {
    CaseKind.SMALL_CLAIMS: N_("small claims case"),
    CaseKind.UNLAWFUL_DETAINER: N_("unlawful detainer case"),
    CaseKind.CIVIL_HARASSMENT: N_("civil harassment case"),
    CaseKind.COMMUNITY: N_("community mediation"),
}

Lines = tuple[str, tuple[str, ...]]  # a subject and paragraphs


class Notice:
    """A subject and paragraphs, sent to each participant by `notify_participants`, in the
    participant's language: `words` writes them for one language.

    `Notice(subject, paragraphs)` is a notice already written for one reader (its builder took
    that reader's `Texts`); it reads the same whoever is given it.
    """

    __slots__ = ("words",)

    def __init__(
        self, words: Callable[[Texts], Lines] | str, paragraphs: Sequence[str] = ()
    ) -> None:
        if isinstance(words, str):
            fixed: Lines = (words, tuple(paragraphs))
            self.words: Callable[[Texts], Lines] = lambda _: fixed
        else:
            self.words = words

    def subject(self, t: Texts) -> str:
        return self.words(t)[0]

    def paragraphs(self, t: Texts) -> tuple[str, ...]:
        return self.words(t)[1]


def case_link(public_url: str, case_id: int) -> str:
    return f"{public_url}/#/cases/{case_id}"


def invitation_link(public_url: str, token: str, language: str | None = None) -> str:
    """The invitation's address; with `language`, one that opens the page in that language."""
    query = f"?lang={language}" if language else ""
    return f"{public_url}/{query}#/invite/{token}"


def describe_case(
    kind: CaseKind, court_case_number: str | None, court_name: str | None, t: Texts | None = None
) -> str:
    """ "the small claims case 24SC01234 (Stanley Mosk Courthouse)" or "a community mediation"."""
    t = t or texts_for(None)
    label = t.gettext(KIND_LABELS[kind])
    if not is_court_filed(kind):
        return t.gettext("a {kind}", kind=label)
    if court_name:
        return t.gettext(
            "the {kind} {number} ({court})", kind=label, number=court_case_number, court=court_name
        )
    return t.gettext("the {kind} {number}", kind=label, number=court_case_number)


def _other_languages(public_url: str, token: str, language: str) -> list[str]:
    """One line per other language, written in that language, linking to the invitation."""
    lines = []
    for code in languages():
        if code != language:
            other = texts_for(code)
            lines.append(
                other.gettext(
                    "To read this invitation in {language}, open: {link}",
                    language=other.language_name(code),
                    link=invitation_link(public_url, token, code),
                )
            )
    return lines


def party_invitation(
    t: Texts,
    public_url: str,
    to: str,
    name: str,
    inviter: str,
    kind: CaseKind,
    side: Side,
    token: str,
    expires_at: datetime,
    case: tuple[str | None, str | None] = (None, None),
) -> EmailMessage:
    """The invitation to the other side, in the inviter's language with a line to each other
    language: what ODR is, and one link to accept or say no."""
    what = describe_case(kind, case[0], case[1], t)
    return build_email(
        to,
        t.gettext("{inviter} invites you to try online mediation", inviter=inviter),
        [
            *_other_languages(public_url, token, t.language),
            t.gettext("Hello {name},", name=name),
            t.gettext(
                "{inviter} would like to try to resolve {what} through Online Dispute "
                "Resolution (ODR). You are invited as the {side}.",
                inviter=inviter,
                what=what,
                side=t.gettext(side_label(kind, side)).lower(),
            ),
            odr_explainer(kind, t),
            t.gettext(
                "Open the link below to read more, to agree to take part or to say no. If you "
                "do not have an account yet, you can create one from the same page."
            ),
        ],
        (
            t.gettext("Open the invitation"),
            invitation_link(public_url, token),
        ),
        t.gettext("This link works once and expires on {day}.", day=t.format_day(expires_at)),
    )


def attorney_invitation(
    t: Texts,
    public_url: str,
    to: str,
    name: str,
    party: str,
    kind: CaseKind,
    token: str,
    expires_at: datetime,
    case: tuple[str | None, str | None] = (None, None),
) -> EmailMessage:
    """A party's invitation to their own lawyer (in the party's language)."""
    what = describe_case(kind, case[0], case[1], t)
    return build_email(
        to,
        t.gettext(
            "{party} asks you to take part in an online mediation as their attorney", party=party
        ),
        [
            *_other_languages(public_url, token, t.language),
            t.gettext("Hello {name},", name=name),
            t.gettext(
                "{party} is taking part in an Online Dispute Resolution (ODR) mediation of "
                "{what} and has asked you to take part as their attorney, with them or for them.",
                party=party,
                what=what,
            ),
            odr_explainer(kind, t),
        ],
        (t.gettext("Open the invitation"), invitation_link(public_url, token)),
        t.gettext("This link works once and expires on {day}.", day=t.format_day(expires_at)),
    )


def sms_lead(t: Texts, notice: Notice) -> str:
    """A short text pointing to the full message; the link follows it."""
    return t.gettext("ODR: {subject}. Details:", subject=notice.subject(t))


def sms_for(t: Texts, notice: Notice, link: str) -> str:
    """A short text pointing to the full message (texts stay short and carry no tokens)."""
    return t.gettext("ODR: {subject}. Details: {link}", subject=notice.subject(t), link=link)


def sms_message(t: Texts, to: str, notice: Notice, link: str) -> SmsMessage:
    return SmsMessage(to=to, text=sms_for(t, notice, link))


def invited_sms(t: Texts, inviter: str) -> str:
    """The text to an invitee's phone: the link itself goes by email only."""
    return t.gettext(
        "ODR: {inviter} invites you to try online mediation. We sent the details and your "
        "invitation link by email.",
        inviter=inviter,
    )


def joined(kind: CaseKind, side: Side, name: str) -> Notice:
    def words(t: Texts) -> Lines:
        return t.gettext("The other side joined your case"), (
            t.gettext(
                "{name} ({side}) accepted the invitation to mediate.",
                name=name,
                side=t.gettext(side_label(kind, side)).lower(),
            ),
            t.gettext("Once both sides have agreed to mediate, CCR will assign a mediator."),
        )

    return Notice(words)


def ready_for_mediator() -> Notice:
    def words(t: Texts) -> Lines:
        return t.gettext("Both sides agreed to mediate"), (
            t.gettext(
                "Both sides accepted the agreement to mediate. CCR will assign a mediator soon, "
                "who will introduce themselves."
            ),
        )

    return Notice(words)


def mediator_intro(
    mediator: str, co_mediator: str | None, kind: CaseKind, t: Texts | None = None
) -> str:
    """The mediator's introduction shown on the case to both sides."""
    t = t or texts_for(None)
    intro = t.gettext(
        "Hello, I am {mediator}, and I will be the mediator for your {kind}.",
        mediator=mediator,
        kind=t.gettext(KIND_LABELS[kind]),
    )
    if co_mediator:
        intro += " " + t.gettext(
            "{co_mediator} will work with me as co-mediator.", co_mediator=co_mediator
        )
    return (
        intro
        + " "
        + t.gettext(
            "I am neutral: I am not anyone's lawyer, I do not give legal advice and I do not "
            "decide the outcome. My job is to help both of you talk and look for an agreement "
            "that works for you. You can write to me privately at any time. Taking part is your "
            "choice, and either of you can stop at any time."
        )
    )


def mediator_assigned(mediator: str, co_mediator: str | None, kind: CaseKind) -> Notice:
    def words(t: Texts) -> Lines:
        return t.gettext("Your mediator has been assigned"), (
            mediator_intro(mediator, co_mediator, kind, t),
        )

    return Notice(words)


SEAT_WORDS = {"mediator": N_("mediator"), "co-mediator": N_("co-mediator")}


def assigned_to_you(kind: CaseKind, number: str | None, court: str | None, seat: str) -> Notice:
    def words(t: Texts) -> Lines:
        role = t.gettext(SEAT_WORDS.get(seat, seat))
        what = describe_case(kind, number, court, t)
        return t.gettext("You have been assigned as {seat}", seat=role), (
            t.gettext(
                "CCR assigned you as {seat} for {what}. Please introduce yourself to the parties.",
                seat=role,
                what=what,
            ),
        )

    return Notice(words)


ROLE_WORDS = {
    Role.ATTORNEY: N_("an attorney"),
    Role.OBSERVER: N_("an observer (a mediator in training)"),
    Role.MEDIATOR: N_("the mediator"),
    Role.CO_MEDIATOR: N_("the co-mediator"),
}


def participant_added(name: str, role_words: str) -> Notice:
    """`role_words` is one of `ROLE_WORDS` (a catalog msgid)."""

    def words(t: Texts) -> Lines:
        return t.gettext("Someone new takes part in your case"), (
            t.gettext(
                "{name} now takes part in your case as {role}.",
                name=name,
                role=t.gettext(role_words),
            ),
        )

    return Notice(words)


def participant_removed(name: str) -> Notice:
    def words(t: Texts) -> Lines:
        return t.gettext("Someone left your case"), (
            t.gettext("{name} no longer takes part in your case.", name=name),
        )

    return Notice(words)


_CLOSED_SUBJECTS = {
    Outcome.DECLINED: N_("Mediation will not take place"),
    Outcome.EXPIRED: N_("Mediation will not take place"),
    Outcome.OPTED_OUT: N_("Mediation has ended"),
    Outcome.IMPASSE: N_("Mediation has ended"),
    Outcome.SETTLED: N_("Your mediation is complete"),
}


def closed(outcome: Outcome, kind: CaseKind, hearing_date: date | None) -> Notice:
    """The one notice every participant gets when a case ends (never who or why)."""

    def words(t: Texts) -> Lines:
        return t.gettext(_CLOSED_SUBJECTS[outcome]), (
            closed_notice(outcome, kind, hearing_date, t),
        )

    return Notice(words)


def paragraphs_with_greeting(t: Texts, name: str, paragraphs: Sequence[str]) -> list[str]:
    return [t.gettext("Hello {name},", name=name), *paragraphs]


# -- offers and agreements (no terms, amounts or chat text ever go into these) ---------------

_OFFER_SUBJECTS = {
    "offer": N_("There is a new offer in your mediation"),
    "counter": N_("There is a counter-offer in your mediation"),
    "proposal": N_("There is a mediator's proposal in your mediation"),
}
_OFFER_LINES = {
    "offer": N_("There is a new offer in your case. Open your case to read it and answer."),
    "counter": N_("There is a counter-offer in your case. Open your case to read it and answer."),
    "proposal": N_(
        "There is a mediator's proposal in your case. Open your case to read it and answer."
    ),
}


def offer_made(what: str) -> Notice:
    """`what` is "offer" (a new offer), "counter" (a counter-offer) or "proposal" (the
    mediator's)."""

    def words(t: Texts) -> Lines:
        return t.gettext(_OFFER_SUBJECTS[what]), (t.gettext(_OFFER_LINES[what]),)

    return Notice(words)


def agreement_reached() -> Notice:
    def words(t: Texts) -> Lines:
        return t.gettext("Agreement reached: your mediator is preparing the text"), (
            t.gettext(
                "Both sides accepted the same terms. Your mediator will now prepare the written "
                "agreement and send it to you to read and sign."
            ),
        )

    return Notice(words)


def signatures_voided(names: Sequence[str]) -> Notice:
    """`names` are the typed names of the signatures that no longer count."""

    def words(t: Texts) -> Lines:
        return t.gettext("The agreement changed: signatures were voided"), (
            t.gettext(
                "The text of the agreement changed after it was signed, so the signatures no "
                "longer count. {names} must sign the new text.",
                names=", ".join(names),
            ),
            t.gettext("Please read the new text when your mediator sends it again."),
        )

    return Notice(words)


def sign_please() -> Notice:
    def words(t: Texts) -> Lines:
        return t.gettext("Please read and sign your settlement agreement"), (
            t.gettext(
                "Your mediator has sent the settlement agreement for signature. Open your "
                "case to read it. You can sign electronically, or ask your mediator for a "
                "paper copy."
            ),
        )

    return Notice(words)


def agreement_signed() -> Notice:
    def words(t: Texts) -> Lines:
        return t.gettext("Your signed settlement agreement"), (
            t.gettext(
                "Every party has signed the settlement agreement. It is attached "
                "as a PDF, and you can download it from your case at any time."
            ),
        )

    return Notice(words)


def agreement_filed(filed_on: date, *, court: bool = True) -> Notice:
    """Filed with the court; a community agreement (`court=False`) is kept on file by CCR."""

    def words(t: Texts) -> Lines:
        if not court:
            return t.gettext("Your agreement is kept on file by the mediation centre"), (
                t.gettext(
                    "CCR has kept your signed agreement on file since {day}. A community "
                    "agreement is a private agreement: it is not filed with a court.",
                    day=t.format_date(filed_on),
                ),
            )
        return t.gettext("Your agreement was filed with the court"), (
            t.gettext(
                "CCR filed your signed agreement with the court on {day}.",
                day=t.format_date(filed_on),
            ),
        )

    return Notice(words)


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
    subject = t.gettext("Fee review for your mediation")
    # Written already in the recipient's language (`t`).
    return Notice(lambda _: (subject, (said,)))
