"""The app as a whole: health, readiness, security headers, the OpenAPI document."""

from __future__ import annotations

from odrchat.app import all_endpoints
from odrchat.settings import Settings
from tests.helpers import client_for


def test_health_readiness_and_headers(settings: Settings) -> None:
    with client_for(settings) as c:
        health = c.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["broker"] == "ok"
        for path in ("/healthz", "/", "/api/session"):
            headers = c.get(path).headers
            csp = headers["content-security-policy"]
            assert (
                "script-src 'self'" in csp
                and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            )
            assert "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
        assert c.get("/api/session").headers["cache-control"] == "no-store"


def test_readiness_reports_an_unreachable_database(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        "postgresql://postgres@127.0.0.1:1/nothing", run_migrations=False, outbox_enabled=False
    )
    with client_for(settings) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and "database" in r.json()["problems"]


def test_openapi_lists_every_endpoint_with_its_body(settings: Settings) -> None:
    with client_for(settings) as c:
        spec = c.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    listed = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for ep in all_endpoints():
        path = "/".join(
            "{" + s.strip("{}").split(":")[0] + "}" if s.startswith("{") else s
            for s in ep.path.split("/")
        )
        assert (ep.method, path) in listed
        op = spec["paths"][path][ep.method.lower()]
        if ep.body is not None:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert schema == ep.body.json_schema()
            assert schema["additionalProperties"] is False
    register = spec["paths"]["/api/auth/register"]["post"]["requestBody"]["content"]
    props = register["application/json"]["schema"]["properties"]
    assert props["password"]["maxLength"] == 1024 and props["display_name"]["maxLength"] == 120


def test_unknown_api_paths_are_404(settings: Settings) -> None:
    with client_for(settings) as c:
        missing = c.get("/api/nothing-here")
        assert missing.status_code == 404
        assert missing.json() == {"error": {"code": "not_found", "message": "Not found."}}
