"""The signed agreement by email: rendered off the event loop and outside any transaction.

Rendering a PDF is CPU work (hundreds of milliseconds), so it runs in a worker thread after the
signing unit committed, never while a row lock is held or the loop is blocked. What is rendered
is the committed, final agreement: once signed it is immutable, and before rendering we check
that its text hashes to the document hash every signature names, so a PDF can never pair the
signatures with other words than the ones the signers were shown.

Known gap: the emails are queued in a second transaction after the signing one. If the server
stops between the two (or rendering fails, which is logged), the parties get no email; the
agreement stays signed and every participant can still download the PDF from the case.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from odrchat.agreements import machine as am
from odrchat.agreements.caption import caption_of
from odrchat.agreements.pdf import Paper, render_papers, render_pdf
from odrchat.agreements.templates import TITLES, AgreementContext, signer_role
from odrchat.cases import notices
from odrchat.cases.queries import case_members
from odrchat.cases.unit import Units
from odrchat.i18n import texts_for
from odrchat.notify.email import Attachment, build_email
from odrchat.notify.texts import ACCOUNT_PATH, OPEN_CASE, settings_footer

log = logging.getLogger("odrchat.agreements")


class Signed(NamedTuple):
    """What the signed PDF is rendered from, read inside the signing transaction."""

    agreement: am.Agreement
    context: AgreementContext
    recorders: dict[int, str]


def check_bound(agreement: am.Agreement) -> None:
    """Refuse to render signatures next to a text they were not given for."""
    sha = am.document_hash(agreement.text)
    if sha != agreement.document_sha256 or any(
        g.document_sha256 != sha for g in agreement.signatures
    ):
        raise ValueError("the agreement text does not match the hash its signatures name")


async def render_signed(
    agreement: am.Agreement,
    context: AgreementContext,
    tz: ZoneInfo,
    recorders: dict[int, str],
    courtesy: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The signed agreement (caption, text, signature record) as a PDF, in a worker thread,
    followed by the (title, text) of each courtesy translation in `courtesy`."""
    check_bound(agreement)
    labels = {g.signer_user_id: signer_role(agreement.kind, g) for g in agreement.signatures}
    caption = caption_of(context)
    if courtesy:
        signed = Paper(
            TITLES[agreement.kind],
            agreement.text,
            caption,
            tuple(agreement.signatures),
            signer_labels=labels,
            recorders=dict(recorders),
        )
        papers = [signed, *(Paper(title, text, caption) for title, text in courtesy)]
        return await asyncio.to_thread(
            functools.partial(render_papers, papers, title=TITLES[agreement.kind], tz=tz)
        )
    return await asyncio.to_thread(
        functools.partial(
            render_pdf,
            TITLES[agreement.kind],
            agreement.text,
            signatures=agreement.signatures,
            caption=caption,
            tz=tz,
            signer_labels=labels,
            recorders=recorders,
        )
    )


async def mail_signed(units: Units, case_id: int, name: str, signed: Signed) -> None:
    """Email the signed PDF to every approved participant of the case (after the signing)."""
    try:
        await _mail(units, case_id, name, signed)
    except Exception:  # supervision boundary: the signing committed; the PDF stays downloadable
        log.exception("mailing the signed agreement of case %d failed", case_id)


async def _mail(units: Units, case_id: int, name: str, signed: Signed) -> None:
    pdf = await render_signed(signed.agreement, signed.context, units.settings.tz, signed.recorders)
    notice = notices.agreement_signed()
    link = notices.case_link(units.settings.public_url, case_id)
    attachment = Attachment(name, "application/pdf", pdf)
    async with units.begin() as unit:
        for part, member in await case_members(unit.session, case_id):
            if not part.approved:
                continue  # an observer the mediator has not let in yet
            t = texts_for(member.language)
            await unit.mail(
                build_email(
                    member.email,
                    notice.subject(t),
                    notices.paragraphs_with_greeting(t, member.display_name, notice.paragraphs(t)),
                    (t.gettext(OPEN_CASE), link),
                    settings_footer(t, units.settings.public_url + ACCOUNT_PATH),
                    attachments=(attachment,),
                )
            )
