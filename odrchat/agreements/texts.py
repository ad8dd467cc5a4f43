"""What the parties are told about paying what they agreed, in plain words, in their language.

Pure builders over a `Texts` (the recipient's catalog). These messages leave the rooms (email,
text message), so they name a payment by its number and due date only: never an amount, never
anything said in mediation. The amounts are on the Agreement tab and in the signed agreement
the parties already hold. Error messages are constants marked with `N_`; the API translates them
for the request.
"""

from __future__ import annotations

from datetime import date

from odrchat.cases.notices import Notice
from odrchat.i18n import N_, Texts
from odrchat.notify.notifier import Words

COMMUNITY_WORKSHEET = N_(
    "A community agreement is a private agreement: there is no court case in which to ask for "
    "it to be enforced, so the court worksheet does not apply. Your mediator or CCR can tell "
    "you about your options."
)
NO_MISSED_PAYMENT = N_("No payment stands as missed: the worksheet is for a missed payment.")
NOT_SIGNED = N_("The agreement is not signed by everyone yet: there is no payment schedule.")
NO_SCHEDULE = N_("This agreement has no payments to track.")
ONLY_PARTIES = N_("Only the parties mark payments.")
WORKSHEET_READERS = N_("Only the parties, their attorneys and the mediators print the worksheet.")
# The pure machine's refusals (odrchat.agreements.payments), by code.
REFUSALS = {
    "forbidden": N_("Only the side this payment concerns may do that."),
    "not_found": N_("Not found."),
    "wrong_status": N_("This payment cannot be marked that way now."),
    "not_yet_due": N_("A payment can be reported missed only after its due date."),
}


def _which(t: Texts, number: int, count: int) -> str:
    if count > 1:
        return t.gettext("payment {number} of {count}", number=number, count=count)
    return t.gettext("the payment")


def instalment_due(t: Texts, number: int, count: int, due: date, case_id: int) -> Words:
    """The reminder before a due date, to both parties."""
    which, day = _which(t, number, count), t.format_date(due)
    return Words(
        subject=t.gettext("A payment under your agreement falls due soon"),
        paragraphs=(
            t.gettext(
                "This is a reminder that {which} under your signed agreement falls due on {day}.",
                which=which,
                day=day,
            ),
            t.gettext(
                "The amount and who pays whom are on the Agreement tab of your case. Once the "
                "money has arrived, the receiving side marks it paid there and the paying side "
                "confirms."
            ),
        ),
        text=t.gettext("ODR: {which} under your agreement is due {day}.", which=which, day=day),
        link=f"/#/cases/{case_id}",
    )


def payment_reported(t: Texts, number: int, count: int, due: date) -> Notice:
    """To the paying side: the receiving side says the money arrived; please confirm."""
    which, day = _which(t, number, count), t.format_date(due)
    return Notice(
        t.gettext("Please confirm a payment"),
        (
            t.gettext(
                "The receiving side marked {which} (due {day}) as paid.", which=which, day=day
            ),
            t.gettext(
                "Please open the Agreement tab of your case and confirm it, or say that "
                "something is not right."
            ),
        ),
    )


def payment_missed(t: Texts, number: int, count: int, due: date) -> Notice:
    """To both parties: the receiving side reported a payment as not received."""
    which, day = _which(t, number, count), t.format_date(due)
    return Notice(
        t.gettext("A payment was reported as missed"),
        (
            t.gettext(
                "The receiving side reported that {which}, due {day}, has not arrived.",
                which=which,
                day=day,
            ),
            t.gettext(
                "If it was paid, the receiving side can still mark it paid once the money "
                "arrives. The Agreement tab explains what can be done next."
            ),
        ),
    )


def payment_disputed(t: Texts, number: int, count: int, due: date) -> Notice:
    """To both parties: the paying side did not confirm a reported payment."""
    which, day = _which(t, number, count), t.format_date(due)
    return Notice(
        t.gettext("A payment was not confirmed"),
        (
            t.gettext(
                "The paying side did not confirm {which} (due {day}) as paid, so it is open again.",
                which=which,
                day=day,
            ),
            t.gettext("Please sort it out between you, or contact CCR if you need help."),
        ),
    )


def performed(t: Texts) -> Notice:
    """To both parties: every payment is confirmed."""
    return Notice(
        t.gettext("Every payment under your agreement is made"),
        (
            t.gettext(
                "Both sides confirmed the last payment under your signed agreement: every "
                "payment it calls for has been made, and your case record now shows it as "
                "performed."
            ),
            t.gettext("Thank you for resolving your dispute through mediation."),
        ),
    )
