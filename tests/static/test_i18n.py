"""The browser in another language: the catalog in use, <html lang>, the switcher, phones."""

from __future__ import annotations

import io
import re
import uuid

from playwright.async_api import Browser, expect
from pypdf import PdfReader

from tests.static.conftest import (
    BROWSER,
    PASSWORD,
    PHONE,
    STAFF_PASSWORD,
    Console,
    Server,
    Staff,
    new_page,
    no_horizontal_scroll,
    screenshot,
    seed_users,
)
from tests.static.flow import day, fetch_pdf, sign
from tests.static.test_attorney import call
from tests.static.test_auth import log_in

pytestmark = BROWSER


async def test_the_lang_cookie_chooses_the_language_and_the_switcher_changes_it(
    browser: Browser, server: Server, console: Console
) -> None:
    """Before login the `lang` cookie decides; the header's switcher changes the page, its
    `lang` attribute and the cookie the server reads."""
    context, page = await new_page(browser, console)
    await context.add_cookies([{"name": "lang", "value": "es", "url": server.url}])
    await page.goto(f"{server.url}/#/login")
    await expect(page.get_by_role("heading", name="Entrar")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await page.locator("#lang-select").select_option("en")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    assert cookies["lang"] == "en"
    await page.reload()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert console.errors == []
    await context.close()


async def test_the_browser_language_is_the_default(
    browser: Browser, server: Server, console: Console
) -> None:
    """With no cookie, a browser set to Mexican Spanish gets the Spanish pages."""
    context, page = await new_page(browser, console, locale="es-MX")
    await page.goto(f"{server.url}/#/")
    await expect(page.get_by_role("heading", name="Resuelva su disputa en línea")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    assert console.errors == []
    await context.close()


async def test_a_spanish_speaking_defendant_goes_from_invitation_to_signing_in_spanish(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    """The issue's done-when, in the browser: an English-speaking plaintiff invites; the
    defendant's phone asks for Spanish, and the invitation, sign-up, log-in, agreement to mediate,
    rooms, offer and signing all read in Spanish; the mediator sees the defendant's language."""
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"es-p-{tag}@example.org", f"es-d-{tag}@example.org"
    p_name, d_name = f"Paul {tag}", f"Dolores {tag}"
    seed_users(server, [(p_email, p_name, "")])
    _pc, pp = await new_page(browser, console)
    await log_in(pp, server, p_email, STAFF_PASSWORD)
    await expect(pp.get_by_role("button", name="Log out")).to_be_visible()
    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    case = await call(pp, "POST", "/api/cases", {
        "kind": "small_claims", "side": "plaintiff", "court_name": "Stanley Mosk Courthouse",
        "court_case_number": f"24SC{tag}", "description": "A fence repair.",
        "other_name": d_name, "other_email": d_email,
    })  # fmt: skip
    case_id = case["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})

    # Someone reading the invitation in English can switch it to Spanish right there.
    ec, ep = await new_page(browser, console)
    await ep.goto(f"{server.url}/#/invite/{server.link_token(d_email, 'invite')}")
    await expect(
        ep.get_by_role("heading", name=f"{p_name} invites you to try mediation")
    ).to_be_visible()
    await ep.locator(".lang-choice").get_by_role("button", name="Español").click()
    await expect(
        ep.get_by_role("heading", name=f"{p_name} lo invita a probar la mediación")
    ).to_be_visible()
    assert {c["name"]: c["value"] for c in await ec.cookies()}["lang"] == "es"
    await ec.close()

    # The defendant's phone is set to Spanish: the invitation speaks Spanish from the start.
    _dc, dp = await new_page(browser, console, PHONE, locale="es-MX")
    token = server.link_token(d_email, "invite")
    await dp.goto(f"{server.url}/#/invite/{token}")
    await expect(
        dp.get_by_role("heading", name=f"{p_name} lo invita a probar la mediación")
    ).to_be_visible()
    await expect(dp.locator("html")).to_have_attribute("lang", "es")
    await expect(dp.get_by_text("no se traducen", exact=False).first).to_be_visible()
    await dp.get_by_role("link", name="Crear una cuenta").first.click()
    await dp.get_by_label("Correo electrónico").fill(d_email)
    await dp.get_by_label("Su nombre").fill(d_name)
    await dp.get_by_label("Contraseña").fill(PASSWORD)
    await expect(dp.locator("form select[name=language]")).to_have_value("es")
    await dp.get_by_role("button", name="Crear cuenta").click()
    await expect(dp.get_by_role("heading", name="Revise su correo electrónico")).to_be_visible()
    await dp.goto(f"{server.url}/#/verify/{server.link_token(d_email, 'verify')}")
    await expect(dp.get_by_role("heading", name="Correo confirmado")).to_be_visible()
    await dp.get_by_role("link", name="Entrar").last.click()
    await dp.get_by_label("Correo electrónico").fill(d_email)
    await dp.get_by_label("Contraseña").fill(PASSWORD)
    await dp.locator("form button[type=submit]").click()
    # Back on the invitation, now logged in.
    await dp.get_by_role("button", name="Aceptar y unirme").click()
    await dp.get_by_label("Leí el acuerdo para mediar").check()
    await dp.get_by_role("button", name="Acepto el acuerdo para mediar").click()
    await expect(dp.get_by_text("Usted aceptó el acuerdo para mediar", exact=False)).to_be_visible()
    me = await call(dp, "GET", "/api/me")
    assert me["language"] == "es"

    _ac, ap = await new_page(browser, console)
    await log_in(ap, server, staff.admin_email, STAFF_PASSWORD)
    await expect(ap.get_by_role("button", name="Log out")).to_be_visible()
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})

    # The English-speaking mediator sees that the defendant reads Spanish.
    _mc, mp = await new_page(browser, console)
    await log_in(mp, server, staff.mediator_email, STAFF_PASSWORD)
    await expect(mp.get_by_role("button", name="Log out")).to_be_visible()
    await mp.goto(f"{server.url}/#/cases/{case_id}/case")
    person = mp.locator("li.card", has_text=d_name)
    await expect(person.locator(".lang-of")).to_have_text("Language: Español")
    # And on the dashboard, next to the defendant in the room's audience.
    await mp.goto(f"{server.url}/#/mediator")
    await mp.locator(".room-list button", has_text=f"{d_name} + Mediator").click()
    seat = mp.locator("section.chat .audience li", has_text=d_name)
    await expect(seat).to_contain_text("Defendant · Español")

    # Rooms in Spanish: "Conjunta" and "<name> + Mediador(a)"; the chat says nothing is translated.
    await dp.goto(f"{server.url}/#/cases/{case_id}/conversations")
    tabs = dp.locator(".subtabs [role=tab]")
    await expect(tabs.nth(0)).to_have_text(re.compile("^Conjunta"))
    await expect(tabs.nth(1)).to_have_text(re.compile(f"^{re.escape(d_name)} \\+ Mediador\\(a\\)"))
    await expect(dp.locator(".not-translated").first).to_have_text(
        "Los mensajes se muestran como cada persona los escribe. No se traducen."
    )
    terms = [{"kind": "payment", "payer": "defendant", "payee": "plaintiff",
              "amount_cents": 45000, "schedule": {"kind": "lump_sum", "due": day(20)}}]  # fmt: skip
    await call(pp, "POST", f"/api/cases/{case_id}/offers", {"terms": terms})
    card = dp.locator("li.offer-card")
    await expect(card.locator(".offer-title")).to_have_text(f"Oferta de {p_name}")
    # The terms in Spanish too (the server's line for each term, in the reader's language).
    await expect(card.locator(".offer-terms li")).to_have_text(
        re.compile(f"^{re.escape(d_name)} paga a {re.escape(p_name)} \\$450\\.00 a más tardar")
    )
    await card.get_by_role("button", name="Aceptar", exact=True).click()
    await card.get_by_role("button", name="Sí, acepto estos términos").click()
    await expect(card.locator(".offer-status")).to_have_text("Aceptada")

    # The mediator's dashboard shows the offer's terms and status, not "An offer was made.".
    await mp.goto(f"{server.url}/#/mediator")
    # This case's joint room: the mediator is shared by every browser test, so other cases'
    # joint rooms may be listed too.
    ours = mp.locator("section", has=mp.locator(f"h2 a[href='#/cases/{case_id}']"))
    await ours.locator(".room-list button", has_text="Joint").click()
    # The joint room opens once its case is read (offer cards need it); its composer has focus.
    await expect(mp.locator("section.chat textarea")).to_be_focused()
    dash_card = mp.locator("section.chat li.offer-card")
    await expect(dash_card.locator(".offer-status")).to_have_text("Accepted")
    await expect(dash_card.locator(".offer-terms li")).to_have_text(
        re.compile(f"^{re.escape(d_name)} pays {re.escape(p_name)} \\$450\\.00 by ")
    )
    await expect(mp.locator("section.chat").get_by_text("An offer was made.")).to_have_count(0)

    await mp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await mp.get_by_role("button", name="Send for signature").click()
    # The mediator does not sign: they read that the parties' signatures are awaited.
    await expect(mp.locator("[data-status=out_for_signature]")).to_be_visible()

    await dp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await expect(dp.get_by_text("El acuerdo está escrito en inglés", exact=False)).to_be_visible()
    await expect(dp.locator("#agreement-text")).to_have_attribute("lang", "en")
    form = dp.locator("form.sign")
    await form.get_by_label("Acepto firmar este acuerdo de forma electrónica").check()
    await form.get_by_label("Su contraseña").fill(PASSWORD)
    await form.get_by_label("Escriba su nombre completo").fill(d_name)
    await form.get_by_role("button", name="Acepto cumplir este acuerdo").click()
    await expect(dp.get_by_text("Usted firmó este acuerdo.")).to_be_visible()
    await expect(dp.locator("html")).to_have_attribute("lang", "es")
    await no_horizontal_scroll(dp)
    await screenshot(dp, "i18n-spanish-defendant-signed")

    # The plaintiff signs too; the defendant's copy is the English agreement followed by the
    # Spanish courtesy translation, and the email that brings it is in Spanish.
    await pp.goto(f"{server.url}/#/cases/{case_id}/agreement")
    await sign(pp, p_name, STAFF_PASSWORD)
    await dp.reload()
    link = dp.get_by_role("link", name="Descargar el acuerdo firmado (PDF)")
    body = await fetch_pdf(dp, await link.get_attribute("href") or "", server.url)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    english = text.lower().index("settlement agreement")
    courtesy = text.index("Traducción de cortesía: no es el acuerdo firmado")
    assert english < courtesy and d_name in text[courtesy:]
    assert "Su acuerdo firmado" in server.subjects(d_email)
    assert "Your signed settlement agreement" in server.subjects(p_email)
    assert console.errors == []


async def test_a_logged_in_person_keeps_the_language_in_the_account(
    browser: Browser, server: Server, console: Console
) -> None:
    """Logged in, the header's switcher also changes the account's language (emails follow it),
    and the Account page's language field changes it back."""
    tag = uuid.uuid4().hex[:6]
    email = f"lang-{tag}@example.org"
    seed_users(server, [(email, f"Lee {tag}", "")])
    context, page = await new_page(browser, console)
    await log_in(page, server, email, STAFF_PASSWORD)
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    await page.locator("#lang-select").select_option("es")
    await expect(page.get_by_role("button", name="Salir")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    assert (await call(page, "GET", "/api/me"))["language"] == "es"

    await page.goto(f"{server.url}/#/account")
    await page.locator("form select[name=language]").select_option("en")
    await page.get_by_role("button", name="Guardar", exact=True).click()
    await expect(page.get_by_role("heading", name="My account")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    assert (await call(page, "GET", "/api/me"))["language"] == "en"
    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    assert cookies["lang"] == "en"
    assert console.errors == []
    await context.close()


SEND_TO_JOINT = """async ([caseId, text]) => {
  const { connection } = await import('/static/js/socket.js');
  const rooms = [...connection.rooms.values()];
  const room = rooms.find((r) => r.caseId === caseId && r.kind === 'joint');
  return connection.sendMessage(room.id, text);
}"""


async def test_a_refused_message_is_explained_in_the_readers_language(
    browser: Browser, server: Server, staff: Staff, console: Console
) -> None:
    """The mediator pauses the joint conversation; a message a Spanish-speaking party sends
    there anyway (from a page that had not heard of the pause yet) is refused by the server, and
    the party reads why in Spanish: the browser words the error's code and block from its own
    catalog, so switching to English words it again in English."""
    tag = uuid.uuid4().hex[:6]
    p_email, d_email = f"rp-{tag}@example.org", f"rd-{tag}@example.org"
    seed_users(server, [(p_email, f"Paz {tag}", ""), (d_email, f"Dan {tag}", "")])
    pages = {}
    for email in (p_email, d_email, staff.mediator_email, staff.admin_email):
        _context, page = await new_page(browser, console)
        await log_in(page, server, email, STAFF_PASSWORD)
        # Logged in (the switcher is there before logging in too): only then use its session.
        await expect(page.get_by_role("button", name="Log out")).to_be_visible()
        pages[email] = page
    pp, dp = pages[p_email], pages[d_email]
    mp, ap = pages[staff.mediator_email], pages[staff.admin_email]
    version = (await call(pp, "GET", "/api/agreement-to-mediate"))["version"]
    case = await call(pp, "POST", "/api/cases", {
        "kind": "small_claims", "side": "plaintiff", "court_name": "Stanley Mosk Courthouse",
        "court_case_number": f"24SC{tag}", "description": "A fence repair.",
        "other_name": f"Dan {tag}", "other_email": d_email,
    })  # fmt: skip
    case_id = case["id"]
    await call(pp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(dp, "POST", f"/api/invitations/{server.link_token(d_email, 'invite')}/accept")
    await call(dp, "POST", f"/api/cases/{case_id}/consent", {"text_version": version})
    await call(ap, "POST", f"/api/admin/cases/{case_id}/assign", {"mediator_id": staff.mediator_id})

    await pp.locator("#lang-select").select_option("es")
    await expect(pp.get_by_role("button", name="Salir")).to_be_visible()
    await pp.goto(f"{server.url}/#/cases/{case_id}/conversations")
    await expect(pp.locator("section.chat textarea")).to_be_visible()
    await call(mp, "POST", f"/api/cases/{case_id}/control/pause", {"paused": True})
    await expect(pp.locator(".control-banner")).to_be_visible()

    await pp.evaluate(SEND_TO_JOINT, [case_id, f"Hola {tag}"])
    failed = pp.locator("li.msg.mine[data-state=failed]", has_text=f"Hola {tag}")
    await expect(failed).to_contain_text("No se envió. El mediador pausó la conversación conjunta.")
    await expect(failed).not_to_contain_text("The mediator")
    await pp.locator("#lang-select").select_option("en")
    await expect(failed).to_contain_text(
        "Not sent. The mediator has paused the joint conversation."
    )
    assert console.errors == []
