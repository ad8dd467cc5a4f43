"""The browser's message catalogs (static/i18n/*.json) agree with each other and with the code.

No browser: these read the files. Every catalog has every English key with the same
{placeholders} and the plural forms its language needs; every key the code spells exists and
every catalog key is spelled somewhere in the code (t("chat.sendButton"), written as a literal).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel import Locale

from odrchat import protocol as p
from odrchat.auth.bodies import Language
from odrchat.i18n import languages
from tests.static.test_wire import COMMENT, wire_types

STATIC = Path(p.__file__).resolve().parent / "static"
I18N = STATIC / "i18n"
JS = STATIC / "js"
KEY = re.compile(r"[a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9_]+)+")
QUOTED = re.compile(r"""(["'])([a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9_]+)+)\1""")
CALL = re.compile(r"""\bt\(\s*(["'`])([^"'`]+)\1""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Keys read by name from data rather than from the code: each catalog's own language name.
DATA_KEYS = {"language.name"}


def catalog(code: str) -> dict[str, object]:
    return dict(json.loads((I18N / f"{code}.json").read_text()))


def codes() -> list[str]:
    return sorted(p.stem for p in I18N.glob("*.json"))


def sources() -> dict[str, str]:
    """Every JS module's text without its comments."""
    return {str(f.relative_to(JS)): COMMENT.sub("", f.read_text()) for f in JS.rglob("*.js")}


def forms(value: object) -> list[str]:
    """The texts of an entry: itself, or each of its plural forms."""
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    return [str(value)]


def placeholders(value: object) -> set[str]:
    found: set[str] = set()
    for text in forms(value):
        found |= set(PLACEHOLDER.findall(text))
    return found


def test_the_browser_and_the_server_speak_the_same_languages() -> None:
    """The browser's list is the server's (GET /api/session): each .po has its .json, and each
    catalog names its language as the server does, in that language."""
    assert codes() == sorted(languages())
    for own in Language.all():
        assert catalog(own.code)["language.name"] == own.name


@pytest.mark.parametrize("code", codes())
def test_a_catalog_is_sorted_and_has_every_english_key(code: str) -> None:
    text = (I18N / f"{code}.json").read_text()
    cat = json.loads(text)
    assert list(cat) == sorted(cat), "keys are kept sorted"
    english = catalog("en")
    assert sorted(set(english) - set(cat)) == [], "missing"
    assert sorted(set(cat) - set(english)) == [], "not in en.json"


@pytest.mark.parametrize("code", codes())
def test_translations_keep_the_placeholders_and_the_plural_forms(code: str) -> None:
    english = catalog("en")
    cat = catalog(code)
    tags = set(Locale.parse(code).plural_form.tags) | {"other"}
    for key, value in cat.items():
        assert value, f"{key} is empty"
        assert placeholders(value) == placeholders(english[key]), key
        assert isinstance(value, dict) == isinstance(english[key], dict), key
        if isinstance(value, dict):
            assert "other" in value, key
            assert set(value) <= tags, f"{key}: {set(value) - tags} are not {code} plural forms"
            if "one" in tags:
                assert "one" in value, key


def test_every_key_the_code_uses_is_in_the_catalog() -> None:
    english = catalog("en")
    missing = [
        f"{name}: {m.group(2)}"
        for name, text in sources().items()
        for m in CALL.finditer(text)
        if m.group(2) not in english
    ]
    assert missing == []


def test_no_catalog_key_is_unused() -> None:
    # Quoted anywhere, also inside a template literal's ${...}.
    spelled = {m.group(2) for text in sources().values() for m in QUOTED.finditer(text)}
    unused = sorted(set(catalog("en")) - spelled - DATA_KEYS)
    assert unused == []


def test_keys_are_never_frame_types() -> None:
    """wire.js owns the dotted frame names; a key spelled like one would trip test_wire."""
    assert set(catalog("en")) & wire_types() == set()
    assert all(KEY.fullmatch(k) for k in catalog("en"))
