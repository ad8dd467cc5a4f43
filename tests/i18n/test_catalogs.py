"""Every text the code marks is in every catalog, no catalog keeps a stale one, and the
translations fit their msgids (same placeholders, every plural form written)."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.catalog import Catalog, Message

from odrchat.i18n import DEFAULT, languages
from odrchat.i18n.sources import extract, read

TEMPLATE = extract()
OTHERS = [code for code in languages() if code != DEFAULT]


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_there_is_english_and_at_least_one_other_language() -> None:
    assert languages()[0] == "en" and "es" in languages()


def test_the_code_marks_texts_and_none_is_built_at_run_time() -> None:
    assert len(_ids(TEMPLATE)) > 20
    # An f-string inside gettext() cannot be looked up; Babel extracts nothing for it.
    assert all(m.id for m in TEMPLATE if m.id != "")


@pytest.mark.parametrize("language", languages())
def test_catalog_holds_exactly_the_marked_texts(language: str) -> None:
    used, held = _ids(TEMPLATE), _ids(read(language))
    missing, stale = used - held, held - used
    hint = "run `python -m odrchat.i18n.sources` and translate the new entries"
    assert not missing, f"{language}.po lacks {sorted(map(str, missing))[:10]}: {hint}"
    assert not stale, f"{language}.po has stale {sorted(map(str, stale))[:10]}: {hint}"


@pytest.mark.parametrize("language", OTHERS)
def test_every_text_is_translated_with_the_same_placeholders(language: str) -> None:
    catalog = read(language)
    for m in catalog:
        if not m.id:
            continue
        assert not m.fuzzy, f"{language}: {m.id!r} is marked fuzzy (a draft)"
        _check(language, m)


def _check(language: str, m: Message) -> None:
    ids = [m.id] if isinstance(m.id, str) else list(m.id)
    strings = [m.string] if isinstance(m.string, str) else list(m.string)
    assert all(strings), f"{language}: {ids[0]!r} is not translated"
    wanted = set().union(*(_fields(i) for i in ids))
    for text in strings:
        # A plural form may leave out {n} ("one day"), but may not invent a placeholder.
        got = _fields(text)
        assert got <= wanted | {"n"}, f"{language}: {text!r} names {got - wanted}"
        if len(ids) == 1:
            assert got == wanted, f"{language}: {text!r} should fill {wanted}"


@pytest.mark.parametrize("language", OTHERS)
def test_plural_rule_is_declared(language: str) -> None:
    header = read(language).mime_headers
    forms = dict(header)["Plural-Forms"]
    assert re.match(r"nplurals=\d+; plural=", forms)
