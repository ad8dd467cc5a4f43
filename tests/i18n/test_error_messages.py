"""Errors a person reads come from the catalogs, with their values filled in after the lookup.

Every message the server raises at a client (an OdrError, a pure core's refusal, a terms
problem) is a catalog msgid: a literal (or a module constant) the extractor finds, never an
f-string, whose values are passed as parameters so a translation can place them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import odrchat
from odrchat.errors import Conflict, Say
from odrchat.i18n import N_, texts_for
from odrchat.i18n.sources import extract
from odrchat.offers.machine import REASON_MAX, REASON_MIN
from odrchat.offers.terms import MAX_CENTS
from odrchat.settings import Settings
from tests.cases.world import FACTS
from tests.helpers import client_for, csrf, login, post
from tests.i18n.test_routes import register_and_login
from tests.offers.test_service import payment
from tests.rooms.world import PASSWORD, world

ROOT = Path(odrchat.__file__).parent
# The message is the first argument of these...
FIRST = {
    "BadRequest", "Invalid", "NotAuthenticated", "Forbidden", "NotFound", "Conflict", "TooMany",
    "PayloadTooLarge", "UnsupportedType", "Unavailable", "TemplateError", "fail", "InvalidPhone",
}  # fmt: skip
# ...and the second (after the code) of these. PaymentError is not here: odrchat.agreements
# .paying words a payment refusal by its code (agreements/texts.py, REFUSALS).
SECOND = {"from_domain", "CaseError", "OfferError", "AgreementError", "ControlError", "FrameError"}


def _unwrap(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("N_", "Say") and node.args:
        return node.args[0]
    return node


def problems() -> list[str]:
    msgids = {m.id for m in extract() if m.id}
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {
            t.id: _unwrap(n.value)
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            # errors["field"] = "..." (case facts, screening answers): a marked msgid.
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and getattr(t.value, "id", "") == "errors"
                for target in node.targets
                for t in (target.elts if isinstance(target, ast.Tuple) else [target])
            ):
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                if not (
                    isinstance(values[0], ast.Call) and getattr(values[0].func, "id", "") == "N_"
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: errors[...] unmarked")
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            index = 0 if name in FIRST else 1 if name in SECOND else None
            if index is None or len(node.args) <= index:
                continue
            if name == "fail":
                index = 1  # the terms reader: fail(path, message, **values)
            candidates = [node.args[index]] if len(node.args) > index else []
            for kw in node.keywords:
                if kw.arg == "fields" and isinstance(kw.value, ast.Dict):
                    candidates += [v for v in kw.value.values if v is not None]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            for arg in map(_unwrap, candidates):
                if isinstance(arg, ast.Name) and isinstance(constants.get(arg.id), ast.Constant):
                    arg = constants[arg.id]
                if isinstance(arg, ast.JoinedStr | ast.BinOp):
                    found.append(f"{where}: a message built in code")
                elif (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and arg.value not in msgids
                    and name != "FrameError"
                ):
                    found.append(f"{where}: {arg.value!r} is not marked for the catalogs")
    return found


def test_every_error_message_is_a_catalog_text() -> None:
    """FrameError is held only to the f-string rule: the browser words WebSocket errors from
    its own catalog by code (tests/static/test_error_texts.py)."""
    assert problems() == []


def test_a_reason_inside_a_message_is_translated_too() -> None:
    exc = Conflict(
        N_("An agreement cannot be written yet: {reason}."),
        params={"reason": Say(N_("both parties need a name"))},
    )
    assert (
        exc.to_json()["message"] == "An agreement cannot be written yet: both parties need a name."
    )
    assert exc.to_json(texts_for("es"))["message"] == (
        "Todavía no se puede escribir un acuerdo: las dos partes necesitan un nombre."
    )


def test_a_spanish_user_reads_offer_errors_in_spanish(
    make_settings: Callable[..., Settings], db_url: str
) -> None:
    """Terms the server refuses (an amount over the limit, a date in the past, too far to stay
    away) and a reason too short come back in the user's language, with the limits filled in
    after the lookup; the same requests in English once the user switches back."""
    w = world(db_url)
    with client_for(make_settings(db_url, outbox_enabled=False)) as c:
        terms = [
            {"kind": "payment", "payer": "defendant", "payee": "plaintiff",
             "amount_cents": 10**13, "schedule": {"kind": "lump_sum", "due": "2000-01-01"}},
            {"kind": "stay_away", "restrained": "defendant", "distance_feet": 10**9},
        ]  # fmt: skip
        url = f"/api/cases/{w.case_id}/offers"
        login(c, "paul@example.org", PASSWORD)
        offer = post(c, url, {"terms": [payment(60_000)]}).json()
        c.patch("/api/me", json={"language": "es"}, headers=csrf(c))
        r = post(c, url, {"terms": terms})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["message"] == "Revise algunos términos."
        fields = error["fields"]
        assert fields["terms/0/amount_cents"] == f"debe ser centavos enteros, de 1 a {MAX_CENTS}"
        assert fields["terms/0/schedule/due"].startswith("debe ser después del ")
        assert fields["terms/1/distance_feet"].startswith("debe ser un número entero de pies")

        login(c, "dana@example.org", PASSWORD)
        c.patch("/api/me", json={"language": "es"}, headers=csrf(c))
        reject = f"/api/offers/{offer['id']}/reject"
        r = post(c, reject, {"reason": "no"})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["message"].startswith(
            f"explique por qué en {REASON_MIN} a {REASON_MAX} caracteres"
        )
        c.patch("/api/me", json={"language": "en"}, headers=csrf(c))
        r = post(c, reject, {"reason": "no"})
        assert r.json()["error"]["message"].startswith(f"explain why in {REASON_MIN} to")


def test_a_spanish_user_reads_intake_errors_in_spanish(settings: Settings, db_url: str) -> None:
    """The intake form's field problems (case facts) come back in the user's language."""
    with client_for(settings) as c:
        register_and_login(c, db_url, "rosa@example.org")
        c.patch("/api/me", json={"language": "es"}, headers=csrf(c))
        body = {**FACTS, "kind": "community", "court_case_number": None}
        r = post(c, "/api/cases", {k: v for k, v in body.items() if v is not None})
        assert r.status_code == 422, r.text
        fields = r.json()["error"]["fields"]
        assert fields == {"court_name": "una mediación comunitaria no tiene corte"}
        r = post(c, "/api/cases", {**body, "kind": "small_claims", "court_case_number": "24SC#1"})
        fields = r.json()["error"]["fields"]
        assert fields == {"court_case_number": "use solo letras, números, guiones y espacios"}
