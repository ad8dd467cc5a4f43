"""Emails and texts in each reader's language, read back from the outbox rows.

Invitations go out in the inviter's language with a line to each other language; every other
message goes to each recipient in their own language. No message carries chat text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import update
from sqlmodel import col

from odrchat.auth.tables import User
from odrchat.cases.service import CaseService
from odrchat.cases.unit import Units
from odrchat.i18n import texts_for
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.cases.world import RecordingFeed, add_user, mails, open_case

EN, ES = texts_for("en"), texts_for("es")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def svc(db: Database, db_url: str, make_settings: Callable[..., Settings]) -> CaseService:
    return CaseService(Units(make_settings(db_url), db, feed=RecordingFeed()))


async def speaks(db: Database, user: User, language: str) -> User:
    async with db.session() as s:
        await s.exec(update(User).where(col(User.id) == user.id).values(language=language))  # type: ignore[call-overload]
    user.language = language
    return user


async def test_invitation_is_in_the_inviters_language_with_a_line_to_the_other(
    svc: CaseService, db: Database
) -> None:
    paul = await add_user(db, "paul")
    _, token = await open_case(svc, paul)
    (email,) = await mails(db, "dana@example.org")
    assert email.subject == "Paul invites you to try online mediation"
    assert "You are invited as the defendant." in email.body_text
    line = f"Para leer esta invitación en español, abra: http://testserver/?lang=es#/invite/{token}"
    assert line in email.body_text
    assert email.body_html is not None and "Para leer esta invitación en español" in email.body_html
    assert f"Open the invitation: http://testserver/#/invite/{token}" in email.body_text


async def test_a_spanish_inviter_invites_in_spanish(svc: CaseService, db: Database) -> None:
    pilar = await speaks(db, await add_user(db, "pilar"), "es")
    _, token = await open_case(svc, pilar)
    (email,) = await mails(db, "dana@example.org")
    assert email.subject == "Pilar le invita a probar la mediación en línea"
    body = email.body_text
    assert "Hola, Dana Defendant:" in body and "Le invitan como demandado." in body
    assert "el caso de reclamos menores 24SC01234 (Stanley Mosk Courthouse)" in body
    assert "Es voluntaria" in body and "No hay ningún costo" in body
    assert (
        f"To read this invitation in English, open: http://testserver/?lang=en#/invite/{token}"
        in body
    )
    assert "Este enlace funciona una sola vez y vence el" in body
    # The page of the invitation follows the reader's language, not the inviter's.
    info = await svc.invitation_info(token, "en")
    assert info["kind_label"] == "small claims case" and "voluntary" in str(info["explainer"])
    info = await svc.invitation_info(token, "es")
    assert info["kind_label"] == "caso de reclamos menores"


async def test_each_participant_gets_notices_in_their_own_language(
    svc: CaseService, db: Database
) -> None:
    paul = await add_user(db, "paul", phone="+1 213 555 0100")
    dana = await speaks(db, await add_user(db, "dana", phone="+1 213 555 0101"), "es")
    case_id, token = await open_case(svc, paul)
    await svc.accept_invitation(dana, token)
    version = (await svc.detail(paul, case_id))["consent_needed"]
    await svc.consent(paul, case_id, version)
    await svc.consent(dana, case_id, version)
    to_paul = [m.subject for m in await mails(db, "paul@example.org")]
    to_dana = [m.subject for m in await mails(db, "dana@example.org")]
    assert "Both sides agreed to mediate" in to_paul
    assert "Las dos partes aceptaron la mediación" in to_dana
    assert "The other side joined your case" in to_paul
    dana_mail = [m for m in await mails(db, "dana@example.org") if m.channel == "email"][-1]
    assert "Hola, Dana:" in dana_mail.body_text and "Abrir su caso" in dana_mail.body_text
    texts_to_dana = [
        m.body_text for m in await mails(db) if m.channel == "sms" and "0101" in m.recipient
    ]
    assert texts_to_dana == [
        f"ODR: Las dos partes aceptaron la mediación. Detalles: http://testserver/#/cases/{case_id}"
    ]
