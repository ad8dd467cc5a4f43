"""The OpenAPI document: a schema for every answer, per-kind rules, and what it must explain."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from odrchat import __version__
from odrchat.app import all_endpoints
from odrchat.cases.kinds import COURT_FILED_KINDS, CaseKind
from odrchat.cases.roles import Side
from odrchat.offers import terms as t
from odrchat.openapi import openapi


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi(all_endpoints(), version=__version__)


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator that resolves `#/components/schemas/...` inside the document."""
    # The references point into the document: carry its components along in the root schema.
    return Draft202012Validator({**schema, "components": doc["components"]})


def test_every_status_of_every_operation_has_a_schema(doc: dict[str, Any]) -> None:
    seen = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (method, path)
            for status, answer in op["responses"].items():
                for media, content in answer["content"].items():
                    assert content.get("schema"), (method, path, status, media)
                    seen += 1
            if method == "get":
                continue
            ok = next(s for s in op["responses"] if s.startswith("2"))
            if "application/json" in op["responses"][ok]["content"]:
                assert op["responses"][ok]["content"]["application/json"]["schema"] != {}
    assert seen > 3 * len(all_endpoints())


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    names = set(doc["components"]["schemas"])

    def walk(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                assert ref.removeprefix("#/components/schemas/") in names, ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_string_patterns_are_published(doc: dict[str, Any]) -> None:
    register = doc["paths"]["/api/auth/register"]["post"]["requestBody"]["content"]
    props = register["application/json"]["schema"]["properties"]
    assert props["email"]["pattern"].startswith("^[^@")
    assert "pattern" in props["phone"]["anyOf"][0]
    sign = doc["paths"]["/api/agreements/{agreement_id}/sign"]["post"]["requestBody"]
    sha = sign["content"]["application/json"]["schema"]["properties"]["document_sha256"]
    assert sha["pattern"] == "^[0-9a-f]{64}$"


def test_offer_terms_are_one_schema_per_kind(doc: dict[str, Any]) -> None:
    body = doc["paths"]["/api/cases/{case_id}/offers"]["post"]["requestBody"]
    items = body["content"]["application/json"]["schema"]["properties"]["terms"]["items"]
    assert items["discriminator"]["propertyName"] == "kind"
    mapping = items["discriminator"]["mapping"]
    assert set(mapping) == set(t._FIELDS)
    schemas = doc["components"]["schemas"]
    for kind, (required, optional) in t._FIELDS.items():
        term = schemas[mapping[kind].rsplit("/", 1)[1]]
        assert set(term["required"]) == required, kind
        assert set(term["properties"]) == required | optional, kind
        assert term["additionalProperties"] is False


def test_terms_as_the_server_writes_them_match_the_published_schema(doc: dict[str, Any]) -> None:
    soon, later = date.today() + timedelta(days=30), date.today() + timedelta(days=60)
    p, d = Side.PLAINTIFF, Side.DEFENDANT
    every_kind = t.Terms(
        (
            t.Payment(d, p, 30_000, t.LumpSum(soon), ""),
            t.Payment(d, p, 10_000, t.InstallmentPlan((t.Installment(10_000, soon),)), ""),
            t.Payment(p, d, 5_000, t.LumpSum(later), "a late fee of $10"),
            t.MoveOut(soon, d),
            t.StayAway(d, 100, True, ""),
            t.StayAway(d, None, True, "no calls"),
            t.PropertyReturn(p, "the bicycle", soon),
            t.Dismissal(True),
            t.FreeTerm("Both sides keep this private."),
        )
    )
    written = t.terms_to_json(every_kind)
    body = doc["paths"]["/api/cases/{case_id}/offers"]["post"]["requestBody"]
    terms_schema = body["content"]["application/json"]["schema"]["properties"]["terms"]
    check = validator(doc, terms_schema)
    assert list(check.iter_errors(written)) == []
    assert t.parse_terms(written, today=date.today()) == every_kind
    wrong = [{**written[0], "amount_cents": 0}, {"kind": "free_text", "text": "x", "extra": 1}]
    assert len(list(check.iter_errors(wrong))) >= 2


def test_court_cases_require_court_name_and_number_in_the_schema(doc: dict[str, Any]) -> None:
    body = doc["paths"]["/api/cases"]["post"]["requestBody"]["content"]["application/json"]
    check = validator(doc, body["schema"])
    base = {
        "side": "plaintiff",
        "description": "Unpaid rent.",
        "other_name": "Dana",
        "other_email": "dana@example.org",
    }
    court = {"court_name": "Superior Court", "court_case_number": "SC-2027-1"}
    premises = {"premises_address": "12 Elm St, Apt 3"}
    for kind in COURT_FILED_KINDS:
        missing = {e.validator for e in check.iter_errors({**base, "kind": kind.value})}
        assert "required" in missing, kind
        full = {**base, "kind": kind.value, **court}
        if kind is CaseKind.UNLAWFUL_DETAINER:
            assert list(check.iter_errors(full)) != []  # the premises are required there
            full |= premises
        assert list(check.iter_errors(full)) == [], kind
    community = {**base, "kind": CaseKind.COMMUNITY.value}
    assert list(check.iter_errors(community)) == []
    assert list(check.iter_errors({**community, "court_name": "Superior Court"})) != []
    assert list(check.iter_errors({**community, **premises})) != []


def test_the_document_says_where_links_and_versions_come_from(doc: dict[str, Any]) -> None:
    intro = doc["info"]["description"]
    for link, call in (
        ("#/verify/<token>", "POST /api/auth/verify"),
        ("#/invite/<token>", "GET /api/invitations/<token>"),
        ("#/invite/<token>", "POST /api/invitations/<token>/accept"),
        ("#/reset/<token>", "POST /api/auth/password/reset"),
    ):
        assert link in intro and call in intro
    consent = doc["paths"]["/api/cases/{case_id}/consent"]["post"]["requestBody"]
    version = consent["content"]["application/json"]["schema"]["properties"]["text_version"]
    assert "GET /api/agreement-to-mediate" in version["description"]
