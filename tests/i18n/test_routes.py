"""A user's language through the API: chosen, negotiated, refused when unknown, and used for
the answers (errors, the "check your email" message) and the emails the account gets."""

from __future__ import annotations

from odrchat.settings import Settings
from tests.cases.world import api_open
from tests.helpers import client_for, csrf, link_token, login, outbox, post

PW = "correct horse battery"
ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def test_anonymous_session_says_the_negotiated_language_and_the_choices(
    settings: Settings,
) -> None:
    with client_for(settings) as c:
        assert c.get("/api/session").json()["language"] == "en"
        body = c.get("/api/session", headers=ES).json()
        assert body["user"] is None and body["language"] == "es"
        assert {"code": "es", "name": "Español"} in body["languages"]
        assert body["languages"][0] == {"code": "en", "name": "English"}
        # The browser's `lang` cookie outranks Accept-Language; an unknown one is ignored.
        c.cookies.set("lang", "en")
        assert c.get("/api/session", headers=ES).json()["language"] == "en"
        c.cookies.set("lang", "xx")
        assert c.get("/api/session", headers=ES).json()["language"] == "es"


def test_register_in_spanish_gets_spanish_email_and_answers(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        body = {"email": "ines@example.org", "display_name": "Inés", "password": PW}
        r = c.post("/api/auth/register", json=body, headers={**csrf(c), **ES})
        assert r.status_code == 202
        assert r.json()["message"].startswith("Si podemos usar ese correo electrónico")
        mail = [m for m in outbox(db_url) if m.recipient == "ines@example.org"][-1]
        assert (
            mail.subject == "Confirme su correo electrónico para la Resolución de Disputas en Línea"
        )
        assert "Hola, Inés:" in mail.body_text and "vence en 2 días" in mail.body_text
        token = link_token(db_url, "ines@example.org", "verify")
        assert post(c, "/api/auth/verify", {"token": token}).status_code == 200
        # The account keeps the language; the session answers in it whatever the browser says.
        me = login(c, "ines@example.org")
        assert me["user"]["language"] == "es" and me["language"] == "es"
        assert c.get("/api/session").json()["language"] == "es"


def test_language_given_at_registration_wins_over_the_request(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        body = {"email": "al@example.org", "display_name": "Al", "password": PW, "language": "en"}
        c.post("/api/auth/register", json=body, headers={**csrf(c), **ES})
        mail = [m for m in outbox(db_url) if m.recipient == "al@example.org"][-1]
        assert mail.subject == "Confirm your email address for Online Dispute Resolution"
        assert "expires in 2 days" in mail.body_text


def test_unknown_language_is_refused_with_422(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        body = {"email": "zo@example.org", "display_name": "Zo", "password": PW, "language": "fr"}
        r = post(c, "/api/auth/register", body)
        assert r.status_code == 422 and "language" in r.json()["error"]["fields"]
        register_and_login(c, db_url, "yo@example.org")
        r = c.patch("/api/me", json={"language": "klingon"}, headers=csrf(c))
        assert r.status_code == 422 and "language" in r.json()["error"]["fields"]


def test_account_language_can_change_and_later_emails_follow_it(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        register_and_login(c, db_url, "lu@example.org")
        r = c.patch("/api/me", json={"language": "es"}, headers=csrf(c))
        assert r.status_code == 200 and r.json()["language"] == "es"
        assert c.get("/api/me").json()["language"] == "es"
        post(c, "/api/auth/password/forgot", {"email": "lu@example.org"})
        mail = [m for m in outbox(db_url) if m.recipient == "lu@example.org"][-1]
        assert mail.subject == "Cambie su contraseña de la Resolución de Disputas en Línea"
        assert "vence en 1 hora." in mail.body_text


def test_errors_are_in_the_language_of_the_request(settings: Settings) -> None:
    with client_for(settings) as c:
        r = c.get("/api/me", headers=ES)
        assert r.status_code == 401
        assert r.json()["error"] == {
            "code": "unauthenticated",
            "message": "Por favor, inicie sesión.",
        }
        assert c.get("/api/me").json()["error"]["message"] == "Please log in."
        long_name = {"email": "a@example.org", "display_name": "x" * 200, "password": "short"}
        r = c.post("/api/auth/register", json=long_name, headers={**csrf(c), **ES})
        error = r.json()["error"]
        assert r.status_code == 422 and error["message"] == "Revise algunos campos."
        assert error["fields"]["display_name"] == "debe tener como máximo 120 caracteres"
        assert error["fields"]["password"] == "debe tener al menos 10 caracteres"
        r = c.post("/api/auth/register", json=long_name, headers=csrf(c))
        assert r.json()["error"]["fields"]["display_name"] == "must be at most 120 characters"


def register_and_login(c, db_url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    post(c, "/api/auth/register", {"email": email, "display_name": "Someone", "password": PW})
    post(c, "/api/auth/verify", {"token": link_token(db_url, email, "verify")})
    login(c, email)


def test_the_page_speaks_the_request_language_and_a_lang_link_sets_the_cookie(
    settings: Settings,
) -> None:
    with client_for(settings) as c:
        assert '<html lang="en">' in c.get("/").text
        assert '<html lang="es">' in c.get("/", headers=ES).text
        # The invitation email's "read it in Spanish" link: /?lang=es#/invite/<token>.
        r = c.get("/?lang=es")
        assert '<html lang="es">' in r.text and "lang=es" in r.headers["set-cookie"]
        assert c.get("/api/session").json()["language"] == "es"
        r = c.get("/?lang=../x")
        assert "set-cookie" not in r.headers and '<html lang="es">' in r.text


def test_service_and_domain_errors_follow_the_request_language(
    settings: Settings, db_url: str
) -> None:
    with client_for(settings) as c:
        token = "x" * 43
        r = c.get(f"/api/invitations/{token}", headers=ES)
        assert r.status_code == 422 and r.json()["error"] == {
            "code": "invalid_token",
            "message": "El enlace de esta invitación no es válido, ya se usó o ya venció.",
        }
        r = c.get(f"/api/invitations/{token}")
        assert r.json()["error"]["message"] == (
            "This invitation link is invalid, already used or expired."
        )
        # A logged-in user's own language wins over the browser's.
        register_and_login(c, db_url, "ana@example.org")
        c.patch("/api/me", json={"language": "es"}, headers=csrf(c))
        r = c.get(f"/api/invitations/{token}", headers={"Accept-Language": "en"})
        assert r.json()["error"]["message"].startswith("El enlace de esta invitación")


def test_a_case_reads_in_the_readers_language(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        register_and_login(c, db_url, "paul@example.org")
        case = api_open(c)
        assert case["next_step"] == "Please read and accept the agreement to mediate."
        (me,) = case["participants"]
        assert me["side_label"] == "Plaintiff" and me["duties"].startswith("a side of the dispute")
        c.patch("/api/me", json={"language": "es"}, headers=csrf(c))
        case = c.get(f"/api/cases/{case['id']}").json()
        assert (
            case["next_step"]
            == "Por favor, lea y acepte el acuerdo para participar en la mediación."
        )
        (me,) = case["participants"]
        assert me["side_label"] == "Demandante"
        assert me["duties"].startswith("una de las partes de la disputa")
        (line,) = c.get("/api/cases").json()["cases"]
        assert line["next_step"] == case["next_step"]
