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
        assert ready.json()["sms"] == "off"  # no SMS_PROVIDER: ready, and it says texts are off
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


def test_readiness_reports_an_unreachable_broker(db_url: str, make_settings) -> None:  # type: ignore[no-untyped-def]
    """The worker starts and says it is not ready (a database outage at run time is tested on
    real processes in tests/rooms/test_faults.py)."""
    settings = make_settings(db_url, redis_url="redis://127.0.0.1:1/0")
    with client_for(settings) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["problems"]["broker"].startswith(
            ("down", "connecting")
        )
        assert c.get("/healthz").status_code == 200


def test_two_installations_sharing_redis_never_hear_each_other(
    tmp_path,
    make_settings,  # type: ignore[no-untyped-def]
) -> None:
    """Redis names carry the installation's id, so equal room ids on two sites stay apart."""

    from odrchat.store.db import Database
    from odrchat.store.meta import deployment_id
    from tests.conftest import _migrate
    from tests.services import run_sync

    ids = []
    for name in ("site-a", "site-b"):
        url = f"sqlite:///{tmp_path}/{name}.sqlite3"
        run_sync(_migrate(url))

        async def read(url: str = url) -> tuple[str, str]:
            db = Database(url)
            try:
                return await deployment_id(db), await deployment_id(db)
            finally:
                await db.dispose()

        first, again = run_sync(read())
        assert first == again  # stable for every worker of one installation
        ids.append(first)
    assert ids[0] != ids[1]


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


def test_every_catalog_is_compiled_when_the_app_starts(settings: Settings) -> None:
    """Not when a reader first needs one: compiling the Spanish catalog blocked the event loop
    for tens of milliseconds in the middle of the first connections after a restart."""
    from odrchat.i18n import languages, translations

    translations.cache_clear()
    with client_for(settings):
        assert translations.cache_info().currsize == len(languages())
