"""The language of a request: user > `lang` cookie > Accept-Language > English."""

from __future__ import annotations

from odrchat.i18n import negotiate, parse_accept_language


def test_accept_language_is_ordered_by_weight_and_zero_is_dropped() -> None:
    header = "en;q=0.5, es-MX, fr;q=0, *;q=0.1, de;q=0.8"
    assert parse_accept_language(header) == ["es_MX", "de", "en"]
    assert parse_accept_language("") == [] and parse_accept_language(None) == []
    assert parse_accept_language("es;q=abc") == []


def test_the_order_of_the_sources() -> None:
    assert negotiate(user="en", cookie="es", accept_language="es") == "en"
    assert negotiate(user=None, cookie="es", accept_language="en") == "es"
    assert negotiate(cookie=None, accept_language="es-US,en;q=0.5") == "es"
    assert negotiate(accept_language="fr-CA, es;q=0.3") == "es"
    assert negotiate(accept_language="ES") == "es"
    assert negotiate() == "en"


def test_unknown_values_fall_through_to_the_next_source() -> None:
    assert negotiate(user="xx", cookie="zz", accept_language="es") == "es"
    assert negotiate(cookie="../../etc", accept_language="de, fr") == "en"
    assert negotiate(accept_language="x" * 10_000) == "en"
