"""Programme figures as the export shows them: the JSON document and the CSV table (pure).

Both are built from `compute.Figures` only, which holds counts and durations: no names, no
case numbers, no message text can appear. A suppressed cell is JSON null and the CSV's words
"fewer than 5"; the document says so in `suppressed`.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from odrchat.figures.compute import SMALL, Figures

SUPPRESSED = f"fewer than {SMALL}"


def to_json(f: Figures, *, since: date | None, until: date | None, now: datetime) -> dict[str, Any]:
    """The figures as the JSON document of GET /api/admin/metrics."""
    return {
        "generated_at": now,
        "since": since,
        "until": until,
        "small_cell": SMALL,
        "suppressed": f"null: {SUPPRESSED} cases (or answers), not published",
        "cases": f.cases,
        "months": list(f.months),
        "kinds": list(f.by_kind),
        "by_kind_month": [
            {"month": m, "kind": k, "cases": n} for (m, k), n in sorted(f.by_kind_month.items())
        ],
        "by_month": [{"month": m, "cases": n} for m, n in f.by_month.items()],
        "by_kind": [{"kind": k, "cases": n} for k, n in f.by_kind.items()],
        "participation": _rate(f.participation),
        "consent": _rate(f.consent),
        "closed": f.closed,
        "outcomes": [
            {"outcome": o, "cases": n, "share": f.outcome_shares[o]} for o, n in f.outcomes.items()
        ],
        "durations": [
            {
                "measure": d.measure,
                "cases": d.cases,
                "median_days": d.median_days,
                "p90_days": d.p90_days,
            }
            for d in f.durations
        ],
        "mediator_load": {
            "mediators": f.load.mediators,
            "open_median": f.load.open_median,
            "open_max": f.load.open_max,
            "cases_median": f.load.cases_median,
        },
        "payments": {
            "tracked": f.payments.tracked,
            "agreements": f.payments.agreements,
            "fallen_due": f.payments.fallen_due,
            "on_time": f.payments.on_time,
            "late": f.payments.late,
            "unpaid": f.payments.unpaid,
            "on_time_share": f.payments.on_time_share,
        },
        "survey": {
            "answers": f.survey_answers,
            "questions": [
                {"question": q.question, "answers": q.answers, "average": q.average}
                for q in f.survey
            ],
        },
    }


def _rate(r: Any) -> dict[str, Any]:
    return {"eligible": r.whole, "count": r.part, "share": r.share}


def _show(value: object) -> str:
    return SUPPRESSED if value is None else str(value)


def to_csv(f: Figures, *, since: date | None, until: date | None) -> str:
    """One row per published number: section, group, measure, value."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["section", "group", "measure", "value"])
    w.writerow(["period", "", "since", since.isoformat() if since else "all"])
    w.writerow(["period", "", "until", until.isoformat() if until else "all"])
    w.writerow(["cases", "all", "cases", _show(f.cases)])
    for (m, k), n in sorted(f.by_kind_month.items()):
        w.writerow(["cases by kind and month", f"{m} {k}", "cases", _show(n)])
    for m, n in f.by_month.items():
        w.writerow(["cases by month", m, "cases", _show(n)])
    for k, n in f.by_kind.items():
        w.writerow(["cases by kind", k, "cases", _show(n)])
    for name, rate in (("participation", f.participation), ("consent", f.consent)):
        w.writerow([name, "", "eligible", _show(rate.whole)])
        w.writerow([name, "", "count", _show(rate.part)])
        w.writerow([name, "", "share", _show(rate.share)])
    w.writerow(["outcomes", "closed", "cases", _show(f.closed)])
    for o, n in f.outcomes.items():
        w.writerow(["outcomes", o, "cases", _show(n)])
        w.writerow(["outcomes", o, "share", _show(f.outcome_shares[o])])
    for d in f.durations:
        w.writerow(["days from filing", d.measure, "cases", _show(d.cases)])
        w.writerow(["days from filing", d.measure, "median", _show(d.median_days)])
        w.writerow(["days from filing", d.measure, "90th percentile", _show(d.p90_days)])
    load = f.load
    w.writerow(["mediator load", "", "mediators", load.mediators])
    w.writerow(["mediator load", "", "open cases, median", _show(load.open_median)])
    w.writerow(["mediator load", "", "open cases, most", _show(load.open_max)])
    w.writerow(["mediator load", "", "cases per mediator, median", _show(load.cases_median)])
    pay = f.payments
    w.writerow(["payments", "", "tracked", "yes" if pay.tracked else "no"])
    if pay.tracked:
        w.writerow(["payments", "", "agreements with payments", _show(pay.agreements)])
        w.writerow(["payments", "instalments", "fallen due", _show(pay.fallen_due)])
        w.writerow(["payments", "instalments", "paid on time", _show(pay.on_time)])
        w.writerow(["payments", "instalments", "paid late", _show(pay.late)])
        w.writerow(["payments", "instalments", "not paid", _show(pay.unpaid)])
        w.writerow(["payments", "instalments", "share paid on time", _show(pay.on_time_share)])
    w.writerow(["survey", "all", "answers", _show(f.survey_answers)])
    for q in f.survey:
        w.writerow(["survey", q.question, "answers", _show(q.answers)])
        w.writerow(["survey", q.question, "average (1-5)", _show(q.average)])
    return out.getvalue()
