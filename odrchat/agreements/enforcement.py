"""The worksheet for asking the court to enforce a settlement after a missed payment.

Code of Civil Procedure section 664.6 lets a party to a pending case, who settled it in a
writing signed by the parties, ask the court by motion to enter judgment on the settlement's
terms; the court can do so when it kept jurisdiction to enforce the settlement (the agreement
asked it to, until the terms are performed in full). The worksheet does not make that request:
it gathers, for the person who will, the facts of this case and this missed payment, says what
to attach and where to look for the court's own forms and rules, and says plainly that those
govern. Every sentence is our own wording.

Court kinds only: a community agreement has no court case, so there is nothing to enforce it
in (the coordinator refuses with a plain explanation). Pure: facts in, text and PDF bytes out
(CPU-bound: run `render_worksheet` in a worker thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from odrchat.agreements.caption import caption_of
from odrchat.agreements.dates import in_words, local_time
from odrchat.agreements.machine import Filing, Signature
from odrchat.agreements.payments import Instalment, InstalmentStatus, totals
from odrchat.agreements.pdf import Paper, render_papers
from odrchat.agreements.templates import TITLES, AgreementContext, TemplateError
from odrchat.cases.kinds import CaseKind
from odrchat.i18n import N_
from odrchat.offers.terms import format_cents

TITLE = "Worksheet: Asking the Court to Enforce the Settlement (Code Civ. Proc., § 664.6)"
_STATUS_WORDS = {
    InstalmentStatus.DUE: "not yet paid",
    InstalmentStatus.REPORTED_PAID: "reported paid, awaiting confirmation",
    InstalmentStatus.PAID: "paid (confirmed by both sides)",
    InstalmentStatus.MISSED: "MISSED",
}


def worksheet(
    case: AgreementContext,
    schedule: Sequence[Instalment],
    signatures: Sequence[Signature],
    filing: Filing | None,
    today: date,
    tz: ZoneInfo,
) -> str:
    """The worksheet's text for a court case with at least one missed payment."""
    if caption_of(case) is None:
        raise TemplateError(N_("a community agreement is not enforced through a court case"))
    missed = [i for i in schedule if i.status is InstalmentStatus.MISSED]
    if not missed:
        raise TemplateError(N_("no payment stands as missed"))
    paid, unpaid = totals(schedule)
    signed_on = max((s.at for s in signatures), default=None)
    lines = [
        TITLE,
        "",
        "About this worksheet",
        "This worksheet is not a court form and does not ask the court for anything by "
        "itself. It gathers the facts of this case for the person who asks the court to "
        "enforce the settlement. The court's own forms and local rules govern how that "
        "request is made, what it must contain, how much notice the other side gets and "
        "whether there is a fee: check them with the clerk, the court's self-help center or, "
        "in small claims, the small claims advisor before filing anything. CCR's staff are not "
        "the parties' lawyers and this worksheet is not legal advice.",
        "",
        "What the law allows",
        "When the parties to a pending case settle it in a writing they signed, a party may "
        "ask the court, by motion, to enter judgment on the terms of the settlement (Code of "
        "Civil Procedure section 664.6). The parties' agreement asked the court to keep "
        "jurisdiction to enforce it until every term is performed. The court decides whether "
        "the settlement is binding and what its terms are, and may then enter judgment on "
        "them. If the case was dismissed and the court did not keep jurisdiction before the "
        "dismissal, the court may be unable to use this route: ask the clerk or the self-help "
        "center what applies.",
        "",
        "The agreement",
        f"{TITLES[case.kind]}, signed by both parties"
        + (f"; the last signature was given on {local_time(signed_on, tz)}." if signed_on else "."),
    ]
    for s in signatures:
        how = "in ink on paper" if s.method.value == "paper" else "electronically"
        lines.append(f"- {s.typed_name} signed {how} on {local_time(s.at, tz)}.")
    if filing is not None:
        lines.append(
            f"CCR filed it with the court on {in_words(filing.filed_on)} (court reference "
            f"{filing.court_reference})."
        )
    else:
        lines.append("The agreement has not been recorded as filed with the court yet.")
    lines += ["", "The payment schedule, as the parties marked it"]
    for i in schedule:
        who = f"{case.names[i.payer]} pays {case.names[i.payee]}"
        lines.append(
            f"Payment {i.number}: {who} {format_cents(i.amount_cents)} by {in_words(i.due)}: "
            f"{_STATUS_WORDS[i.status]}."
        )
    lines += [
        f"Confirmed paid so far: {format_cents(paid)}. Not confirmed paid: {format_cents(unpaid)}.",
        "",
        "The missed payment" + ("s" if len(missed) > 1 else ""),
    ]
    for i in missed:
        step = next((h for h in reversed(i.history) if h.status is InstalmentStatus.MISSED), None)
        reported = f" It was reported missed on {local_time(step.at, tz)}." if step else ""
        lines.append(
            f"Payment {i.number} of {format_cents(i.amount_cents)}, due {in_words(i.due)}, was "
            f"reported by {case.names[i.payee]}, the receiving party, as not received.{reported}"
        )
    first = missed[0]
    asking, other = case.who(first.payee), case.who(first.payer)
    lines += [
        "",
        "Who asks, and against whom",
        f"The person asking: {asking}. The other side: {other}. Use the caption above (court, "
        "case number and the parties' names) on every paper filed.",
        "",
        "What to prepare",
        "1. The request itself, on the form or in the format the court requires. In small "
        "claims, ask the clerk or the small claims advisor which form the court uses for a "
        "request after the hearing or dismissal. In other cases, a motion to enter judgment "
        "under section 664.6 is filed with a notice of the hearing date the clerk gives.",
        "2. A statement of the facts, signed under penalty of perjury by the person asking: that "
        "the parties signed the agreement, what it requires, which payment was missed, and how "
        "much remains unpaid. Use the figures above; state only what you know yourself.",
        "3. A copy of the signed agreement with its signature record (download it from the "
        "case's Agreement tab).",
        "4. A proposed judgment stating what the court is asked to order, in the words of the "
        "agreement: for example, the amount not yet paid under it.",
        "5. Proof that the other side was given copies (service), in the way and within the time "
        "the court's rules require. Keep a copy of everything you file.",
        "",
        "Before filing",
        f"Check today's figures with the other side if you can: this worksheet was prepared on "
        f"{in_words(today)} from what both sides marked on the Agreement tab. A payment made "
        "late can still be marked paid there, and a paid amount should not be asked for again.",
    ]
    if case.kind is CaseKind.CIVIL_HARASSMENT:
        lines += [
            "",
            "Civil harassment cases",
            "The promises in the agreement are not a restraining order. This worksheet is about "
            "the money terms only; if you fear for your safety, contact the police or the "
            "court's self-help center.",
        ]
    return "\n".join(lines) + "\n"


def render_worksheet(
    case: AgreementContext,
    schedule: Sequence[Instalment],
    signatures: Sequence[Signature],
    filing: Filing | None,
    today: date,
    tz: ZoneInfo,
) -> bytes:
    """The worksheet as a US Letter PDF with the caption and the case number on every page."""
    text = worksheet(case, schedule, signatures, filing, today, tz)
    caption = caption_of(case)
    assert caption is not None  # worksheet() refused community cases
    title = f"{TITLE}, {caption.short_title}, case number {caption.case_number}"
    return render_papers([Paper(TITLE, text, caption)], title=title, tz=tz)
