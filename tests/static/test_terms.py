"""The offer composer in the browser: what it sends is what odrchat/offers/terms.py parses, and
the server's field paths land next to the right inputs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from playwright.async_api import Browser, expect

from odrchat.offers.terms import parse_terms, terms_to_json
from tests.static.conftest import BROWSER, PHONE, Console, Server, new_page

pytestmark = BROWSER

CASE = {
    "id": 1,
    "kind": "small_claims",
    "participants": [
        {"user_id": 1, "role": "party", "side": "plaintiff", "display_name": "Pat"},
        {"user_id": 2, "role": "party", "side": "defendant", "display_name": "Dana"},
    ],
}


def _day(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


# Every kind of term, as terms_to_json writes it (the composer's prefill for a counter-offer).
TERMS: list[dict[str, Any]] = [
    {
        "kind": "payment",
        "payer": "defendant",
        "payee": "plaintiff",
        "amount_cents": 125050,
        "schedule": {"kind": "lump_sum", "due": _day(20)},
        "late_consequence": "",
    },
    {
        "kind": "payment",
        "payer": "plaintiff",
        "payee": "defendant",
        "amount_cents": 30000,
        "schedule": {
            "kind": "installments",
            "installments": [
                {"amount_cents": 10000, "due": _day(30)},
                {"amount_cents": 20000, "due": _day(60)},
            ],
        },
        "late_consequence": "The whole rest is due at once.",
    },
    {"kind": "move_out", "by": _day(40), "tenant": "defendant"},
    {
        "kind": "stay_away",
        "restrained": "plaintiff",
        "distance_feet": 100,
        "no_contact": True,
        "details": "Also at work.",
    },
    {
        "kind": "property_return",
        "returner": "defendant",
        "description": "The ladder",
        "by": _day(9),
    },
    {"kind": "dismissal", "with_prejudice": False},
    {"kind": "free_text", "text": "Both keep this private.\nNo reviews online."},
]

ROUND_TRIP = """async ([d, terms]) => {
  const { termsForm } = await import('/static/js/views/terms.js');
  const form = termsForm(d, terms);
  document.querySelector('main').replaceChildren(form.el);
  return form.collect();
}"""

ERRORS = """async ([d, terms, fields]) => {
  const { termsForm } = await import('/static/js/views/terms.js');
  const form = termsForm(d, terms);
  document.querySelector('main').replaceChildren(form.el);
  form.collect();  // gives every input its path
  const shown = form.showErrors(fields);
  const near = (el) => el.closest('.field, .plan, fieldset.term').querySelector('.field-error');
  return {
    shown,
    invalid: [...document.querySelectorAll('[aria-invalid=true]')].map(
      (el) => [el.dataset.path, near(el).textContent]),
    plan: [...document.querySelectorAll('.plan-error')].map((el) => el.textContent),
    rows: [...document.querySelectorAll('fieldset.term > .field-error')].map(
      (el) => el.textContent),
    focused: document.activeElement.dataset.path || null,
  };
}"""

MONEY = """async () => {
  const { parseDollars, formatCents } = await import('/static/js/views/terms.js');
  const texts = ['1,250.50', '$80', '80.5', ' 7 ', '1.234', 'abc', '', '1,25', '-5', '0.07'];
  return [texts.map(parseDollars), [125050, 5, 100000000].map(formatCents)];
}"""


async def test_every_kind_of_term_round_trips_through_the_servers_parser(
    browser: Browser, server: Server, console: Console
) -> None:
    """Prefilled with each kind of term, the composer sends JSON that parses to the same terms."""
    context, page = await new_page(browser, console, viewport=PHONE)
    await page.goto(f"{server.url}/#/about")
    await expect(page.locator("main h1")).to_be_visible()
    dollars, cents = await page.evaluate(MONEY)
    assert dollars == [125050, 8000, 8050, 700, None, None, None, None, None, 7]
    assert cents == ["$1,250.50", "$0.05", "$1,000,000.00"]

    out = await page.evaluate(ROUND_TRIP, [CASE, TERMS])
    assert out["errors"] == {}
    today = date.today()
    assert terms_to_json(parse_terms(out["terms"], today=today)) == terms_to_json(
        parse_terms(TERMS, today=today)
    )
    assert console.errors == []
    await context.close()


async def test_server_field_paths_are_shown_next_to_their_inputs(
    browser: Browser, server: Server, console: Console
) -> None:
    """items/… and terms/… paths reach the named input, the installment list or the term."""
    context, page = await new_page(browser, console, viewport=PHONE)
    await page.goto(f"{server.url}/#/about")
    await expect(page.locator("main h1")).to_be_visible()
    fields = {
        "items/0/amount_cents": "must be whole cents from 1 to 100000000",
        "terms/1/schedule/installments/1/due": "each installment must fall after the one before",
        "terms/1/schedule/installments": "installments add up to $300.00 but the total is $400.00",
        "terms/3": "a stay-away needs a distance, no contact, or both",
        "terms/2/schedule/kind": "not a field of this term",
    }
    out = await page.evaluate(ERRORS, [CASE, TERMS, fields])
    assert out["shown"] == 5
    assert out["invalid"] == [
        ["terms/0/amount_cents", "Amount: must be an amount from $0.01 to $1,000,000.00."],
        [
            "terms/1/schedule/installments/1/due",
            "Installment 2: due by: each installment must fall after the one before.",
        ],
    ]
    assert out["plan"] == [
        "",
        "Installments: installments add up to $300.00 but the total is $400.00.",
    ]
    assert out["rows"] == [
        "",
        "",
        "Term 3: not a field of this term.",
        "Term 4: a stay-away needs a distance, no contact, or both.",
        "",
        "",
        "",
    ]
    assert out["focused"] == "terms/0/amount_cents"
    assert console.errors == []
    await context.close()
