"""Reply keywords and webhook signatures, as pure rules."""

from __future__ import annotations

import pytest

from odrchat.notify.gateway import sign
from odrchat.notify.replies import (
    Keyword,
    gateway_signed,
    keyword,
    twilio_signature,
    twilio_signed,
)

WORDS = [
    *(
        (w, Keyword.STOP)
        for w in (
            "STOP",
            "stop",
            " Stop. ",
            "STOPALL",
            "unsubscribe",
            "Cancel",
            "END",
            "quit!",
            "REVOKE",
            "optout",
        )
    ),
    *((w, Keyword.START) for w in ("START", "yes", "Unstop")),
    *((w, Keyword.HELP) for w in ("HELP", "help", "Info")),
    *(
        (w, Keyword.OTHER)
        for w in ("stop texting me", "please stop", "STOP STOP", "", "okay", "HELP ME", "STARTED")
    ),
]


@pytest.mark.parametrize(("body", "expected"), WORDS)
def test_a_reply_is_a_keyword_only_when_it_is_that_one_word(body: str, expected: Keyword) -> None:
    assert keyword(body) is expected


# The example from Twilio's security documentation ("Validating Requests are coming from Twilio").
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
    ("To", "+18005551212"),
]


def test_twilio_signature_matches_twilios_documented_example() -> None:
    assert twilio_signature("12345", TWILIO_URL, TWILIO_PARAMS) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    # Parameter order in the request does not matter: Twilio sorts them by name.
    shuffled = list(reversed(TWILIO_PARAMS))
    assert twilio_signed("12345", TWILIO_URL, shuffled, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


def test_a_twilio_request_with_any_change_or_no_signature_is_not_signed() -> None:
    good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert not twilio_signed("12345", TWILIO_URL, TWILIO_PARAMS, None)
    assert not twilio_signed("12345", TWILIO_URL, TWILIO_PARAMS, "")
    assert not twilio_signed("54321", TWILIO_URL, TWILIO_PARAMS, good)
    assert not twilio_signed("12345", TWILIO_URL + "&x=1", TWILIO_PARAMS, good)
    tampered = [*TWILIO_PARAMS[:-1], ("To", "+18005551213")]
    assert not twilio_signed("12345", TWILIO_URL, tampered, good)


def test_a_gateway_request_must_be_signed_with_our_secret_and_recent() -> None:
    secret, body, now = "g" * 40, b'{"id":"1","from":"+12135550100","text":"STOP"}', 1_764_684_000
    header = sign(secret, str(now), body)
    assert gateway_signed(secret, str(now), body, header, now=now + 299)
    assert not gateway_signed(secret, str(now), body, header, now=now + 301)  # replayed later
    assert not gateway_signed(secret, str(now), body, header, now=now - 301)
    assert not gateway_signed("h" * 40, str(now), body, header, now=now)
    assert not gateway_signed(secret, str(now), body + b" ", header, now=now)
    assert not gateway_signed(secret, None, body, header, now=now)
    assert not gateway_signed(secret, "soon", body, header, now=now)
    assert not gateway_signed(secret, str(now), body, None, now=now)
