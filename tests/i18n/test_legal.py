"""Legal texts per language: the agreement to mediate in Spanish says what the English says, and
a consent records which language version was read (its language and the SHA-256 of its text),
on the consent and in the audit log. Interpreter requests at intake reach the admin queue."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlmodel import select

from odrchat import audit
from odrchat.cases import legal, staffing
from odrchat.cases.service import CaseService
from odrchat.cases.tables import ConsentRow
from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION
from odrchat.settings import Settings
from odrchat.store.db import Database
from tests.cases.world import add_user, open_case
from tests.helpers import client_for, csrf
from tests.i18n.people import speaks

ES = {"Accept-Language": "es"}

# The same promises as tests/cases/test_texts.py checks in English, in the Spanish text.
SPANISH_PROMISES = [
    "voluntaria en cada etapa",
    "en cualquier momento, sin recibir una sanción de la corte",
    "El mediador es neutral",
    "no es abogado de nadie",
    "no da consejos legales",
    "no se comparten con la corte",
    "protege como confidencial",
    "Hay pocas excepciones",
    "Un acuerdo firmado no es confidencial",
    "se presenta en la corte",
    "Usted no necesita un abogado",
    "puede participar con usted o en su nombre",
]


@pytest.mark.parametrize("phrase", SPANISH_PROMISES)
def test_the_spanish_agreement_to_mediate_keeps_every_promise(phrase: str) -> None:
    assert phrase in legal.agreement_to_mediate("es").text


def test_each_language_version_is_named_by_its_text() -> None:
    en, es = legal.agreement_to_mediate("en"), legal.agreement_to_mediate("es")
    assert en.version == es.version == AGREEMENT_TO_MEDIATE_VERSION
    assert en.text.startswith("Agreement to mediate") and es.text.startswith("Acuerdo para")
    assert es.sha256 == hashlib.sha256(es.text.encode()).hexdigest() != en.sha256
    assert es.language_version == f"{AGREEMENT_TO_MEDIATE_VERSION}/es/{es.sha256[:12]}"
    assert legal.agreement_to_mediate("xx").language == "en"


def test_the_api_gives_the_text_in_the_request_language(settings: Settings) -> None:
    with client_for(settings) as c:
        body = c.get("/api/agreement-to-mediate", headers=ES).json()
        es = legal.agreement_to_mediate("es")
        assert body == {
            "version": AGREEMENT_TO_MEDIATE_VERSION,
            "text": es.text,
            "language": "es",
            "language_version": es.language_version,
            "sha256": es.sha256,
        }
        assert c.get("/api/agreement-to-mediate").json()["language"] == "en"
        assert csrf(c)  # the session still works


async def test_a_consent_records_the_language_version_read(svc: CaseService, db: Database) -> None:
    paul = await add_user(db, "paul")
    dana = await speaks(db, await add_user(db, "dana"), "es")
    case_id, token = await open_case(svc, paul)
    await svc.accept_invitation(dana, token)
    await svc.consent(paul, case_id, AGREEMENT_TO_MEDIATE_VERSION, "en")
    await svc.consent(dana, case_id, AGREEMENT_TO_MEDIATE_VERSION)  # her own language
    es, en = legal.agreement_to_mediate("es"), legal.agreement_to_mediate("en")
    detail = await svc.detail(dana, case_id)
    shown = {c["side"]: (c["language"], c["text_sha256"]) for c in detail["consents"]}
    assert shown == {"plaintiff": ("en", en.sha256), "defendant": ("es", es.sha256)}
    async with db.session() as s:
        rows = await audit.entries(s, case_id=case_id)
    consented = [json.loads(r.detail) for r in rows if r.action == "case.consented"]
    assert {d["side"]: d["language_version"] for d in consented} == {
        "plaintiff": en.language_version,
        "defendant": es.language_version,
    }
    async with db.session() as s:
        stored = (await s.exec(select(ConsentRow))).all()
    assert sorted(r.text_language for r in stored) == ["en", "es"]


async def test_interpreter_requests_at_intake_show_in_the_admin_queue(
    svc: CaseService, db: Database
) -> None:
    paul = await add_user(db, "paul")
    dana = await speaks(db, await add_user(db, "dana"), "es")
    case_id, token = await open_case(svc, paul, interpreter="Mixtec")
    await svc.accept_invitation(dana, token, interpreter="Spanish")
    for who in (paul, dana):
        await svc.consent(who, case_id, AGREEMENT_TO_MEDIATE_VERSION)
    async with db.session() as s:
        (queued,) = await staffing.queue(s, staffing.local_today(svc.units.settings.tz))
    parties = {p["side"]: (p["language"], p["interpreter"]) for p in queued["parties"]}
    assert parties == {"plaintiff": ("en", "Mixtec"), "defendant": ("es", "Spanish")}
    # The other side does not see a party's request; the party does.
    detail = await svc.detail(paul, case_id)
    seen = {p["side"]: p["interpreter"] for p in detail["participants"]}
    assert seen == {"plaintiff": "Mixtec", "defendant": None}
