"""GET /api/admin/metrics over a real database: JSON and CSV, administrators only, and no
name, case number, description or message text in either."""

from __future__ import annotations

import csv
import io

from odrchat.settings import Settings
from tests.cases.world import PASSWORD, staff
from tests.figures.programme import SECRET, seed_programme
from tests.helpers import client_for, login, register


def test_admins_get_the_figures_as_json_without_names_numbers_or_text(
    settings: Settings, db_url: str
) -> None:
    seed_programme(db_url)
    with client_for(settings) as c:
        staff(c, "root", "admin")
        login(c, "root@example.org", PASSWORD)
        r = c.get("/api/admin/metrics")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        assert SECRET not in r.text and SECRET.lower() not in r.text
        f = r.json()
    assert f["cases"] == 21
    assert f["by_kind_month"] == [{"month": "2026-03", "kind": "small_claims", "cases": 21}]
    outcomes = {o["outcome"]: o["cases"] for o in f["outcomes"]}
    # Two opted out: hidden, and (the total being published) the next smallest with it
    # (declined and impasse tie at 5: the first by name goes).
    assert outcomes == {
        "settled": 6,
        "impasse": 5,
        "opted_out": None,
        "declined": None,
        "expired": 0,
    }
    assert f["closed"] == 18
    # 21 past the invitation, 16 joined; all 16 had both sides consent.
    assert f["participation"] == {"eligible": 21, "count": 16, "share": 0.762}
    assert f["consent"] == {"eligible": 16, "count": 16, "share": 1.0}
    durations = {d["measure"]: d for d in f["durations"]}
    assert durations["first_message"]["cases"] == 16
    assert durations["first_message"]["median_days"] == 2.0
    assert (durations["agreement"]["cases"], durations["agreement"]["median_days"]) == (6, 20.0)
    assert f["mediator_load"] == {
        "mediators": 1,
        "open_median": 3.0,
        "open_max": 3,
        "cases_median": 16.0,
    }
    # Payments are tracked (odrchat/agreements/payments.py); this programme has no schedule.
    assert f["payments"] == {
        "tracked": True,
        "agreements": 0,
        "fallen_due": 0,
        "on_time": 0,
        "late": 0,
        "unpaid": 0,
        "on_time_share": None,
    }


def test_the_csv_export_is_chosen_by_format_or_accept_and_says_fewer_than_5(
    settings: Settings, db_url: str
) -> None:
    seed_programme(db_url)
    with client_for(settings) as c:
        staff(c, "root", "admin")
        login(c, "root@example.org", PASSWORD)
        by_param = c.get("/api/admin/metrics?format=csv")
        by_accept = c.get("/api/admin/metrics", headers={"Accept": "text/csv"})
    for r in (by_param, by_accept):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"].startswith("attachment;")
        assert SECRET not in r.text and SECRET.lower() not in r.text
    rows = list(csv.reader(io.StringIO(by_param.text)))
    assert rows[0] == ["section", "group", "measure", "value"]
    table = {(s, g, m): v for s, g, m, v in rows[1:]}
    assert table[("cases", "all", "cases")] == "21"
    assert table[("outcomes", "opted_out", "cases")] == "fewer than 5"
    assert table[("outcomes", "settled", "cases")] == "6"
    assert table[("days from filing", "agreement", "median")] == "20.0"
    assert table[("payments", "", "tracked")] == "yes"


def test_a_period_narrows_the_cases_and_a_bad_date_is_refused(
    settings: Settings, db_url: str
) -> None:
    seed_programme(db_url)
    with client_for(settings) as c:
        staff(c, "root", "admin")
        login(c, "root@example.org", PASSWORD)
        # Filed 2026-03-11 .. 2026-03-31 (10:00 in Los Angeles): the first ten days.
        f = c.get("/api/admin/metrics?since=2026-03-11&until=2026-03-20").json()
        assert f["cases"] == 10 and f["since"] == "2026-03-11"
        assert c.get("/api/admin/metrics?since=2026-02-01&until=2026-02-28").json()["cases"] == 0
        bad = c.get("/api/admin/metrics?since=March")
        assert bad.status_code == 422
        assert "since" in bad.json()["error"]["fields"]


def test_only_administrators_may_read_the_figures(settings: Settings, db_url: str) -> None:
    with client_for(settings) as c:
        assert c.get("/api/admin/metrics").status_code == 401
        staff(c, "mia", "mediator")
        login(c, "mia@example.org", PASSWORD)
        assert c.get("/api/admin/metrics").status_code == 403
        assert c.get("/api/admin/metrics?format=csv").status_code == 403
        register(c, db_url, "paul@example.org", "Paul")
        login(c, "paul@example.org")
        assert c.get("/api/admin/metrics").status_code == 403
