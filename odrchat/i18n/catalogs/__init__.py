"""The catalog files: one ``<code>.po`` per language, read with Babel at run time (no build step).

A ``.po`` file is parsed once per process (``read_po``), compiled in memory (``write_mo``) and
handed to the standard library's GNU gettext reader, which knows the file's plural rule. The
list of languages is the list of files, so it is data: nothing here names a language but the
default, English, in which the msgids are written.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

HERE = Path(__file__).parent
DEFAULT = "en"


@cache
def languages() -> tuple[str, ...]:
    """The language codes a catalog exists for, English first, the rest in code order."""
    found = sorted(p.stem for p in HERE.glob("*.po"))
    return (DEFAULT, *(code for code in found if code != DEFAULT))


def path_of(language: str) -> Path:
    """The catalog file of a language."""
    return HERE / f"{language}.po"


def load_catalogs() -> None:
    """Compile every catalog now (at start), not when a reader first needs one: parsing and
    compiling the Spanish catalog takes tens of milliseconds with the event loop blocked."""
    for language in languages():
        translations(language)


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of `language` (KeyError when there is none)."""
    if language not in languages():
        raise KeyError(language)
    with path_of(language).open("rb") as f:
        catalog = read_po(f, locale=language)
    compiled = io.BytesIO()
    # Fuzzy entries are drafts: write_mo leaves them out, so their English msgid shows instead.
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
