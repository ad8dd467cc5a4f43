"""schemathesis against /api/openapi.json: no 5xx, and every response is what the document says.

Cases are generated from the served document (positive and negative data) and sent through a
TestClient running the app's lifespan, logged in and carrying the CSRF token, so the generated
requests reach the handlers instead of bouncing off the session and CSRF checks. Each operation
gets a fresh copy of the seeded world, so a generated logout or opt-out cannot starve the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from odrchat.app import all_endpoints
from tests.security.world import World, app_for, headers

EXAMPLES = 12  # per operation and generation mode: the whole run stays near two minutes
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ENDPOINTS = {(ep.method, ep.path): ep for ep in all_endpoints()}
OPERATIONS = sorted(ENDPOINTS)
# Every operation declares a schema for each status it answers (tests/test_openapi.py), and the
# handlers answer through their reply models, so response_schema_conformance checks real shapes.


def _schema(c: TestClient) -> Any:
    return schemathesis.openapi.from_dict(c.get("/api/openapi.json").json())


def _operation(schema: Any, method: str, path: str) -> Any:
    plain = "/".join(
        "{" + p.strip("{}").split(":")[0] + "}" if p.startswith("{") else p for p in path.split("/")
    )
    for result in schema.get_all_operations():
        op = result.ok()
        if op.method.upper() == method and op.path == plain:
            return op
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def _send(c: TestClient, case: Any, hdrs: dict[str, str]) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=hdrs)
    c.cookies.clear()
    request: dict[str, Any] = {
        k: kwargs[k] for k in ("method", "url", "headers", "params") if k in kwargs
    }
    if "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"], allow_nan=True)
        request["headers"] = {**request["headers"], "content-type": "application/json"}
    elif "data" in kwargs:
        request["content"] = kwargs["data"]
    return c.request(**request)


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_its_schema(
    operation: tuple[str, str], template: World, tmp_path: Path
) -> None:
    """As an admin for admin endpoints, as a party of case A otherwise; fresh world each."""
    method, path = operation
    endpoint = ENDPOINTS[operation]
    with app_for(template, tmp_path) as (c, w, app_settings):
        op = _operation(_schema(c), method, path)
        hdrs = headers(app_settings, w.tokens["ada" if endpoint.access == "admin" else "paul"])
        for mode in GenerationMode:

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                response = _send(c, case, hdrs)
                assert "Traceback" not in response.text
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): only positive data exists.
                assert mode is GenerationMode.NEGATIVE


def test_every_endpoint_is_in_the_document(template: World, tmp_path: Path) -> None:
    with app_for(template, tmp_path) as (c, _w, _s):
        schema = _schema(c)
        for method, path in OPERATIONS:
            _operation(schema, method, path)


def test_lone_surrogates_in_any_body_are_refused_not_crashed(
    template: World, tmp_path: Path
) -> None:
    """A "\\ud800" escape in a JSON body is a 400, never a 500 (a 500 before api.py refused it)."""
    with app_for(template, tmp_path) as (c, w, app_settings):
        for ep in all_endpoints():
            if ep.body is None:
                continue
            who = "ada" if ep.access == "admin" else "paul"
            hdrs = {**headers(app_settings, w.tokens[who]), "content-type": "application/json"}
            url = ep.path.replace("{case_id:int}", str(w.cases["A"]))
            names = (
                "offer_id",
                "agreement_id",
                "user_id",
                "document_id",
                "room_id",
                "relay_id",
                "seq",
                "number",
                "invitation_id",
            )
            for name in names:
                url = url.replace(f"{{{name}:int}}", "1")
            url = url.replace("{token}", "x" * 43)
            fields = {name: "a\\ud800b" for name in ep.body.model_fields}
            raw = "{" + ",".join(f'"{k}":"{v}"' for k, v in fields.items()) + "}"
            c.cookies.clear()
            r = c.request(ep.method, url, content=raw, headers=hdrs)
            assert r.status_code in (400, 422), (ep.method, url, r.status_code, r.text)
