"""The msgids the code uses, found with Babel's extractor, and the catalogs kept in step with them.

`extract` reads the package's Python source for ``gettext``, ``ngettext`` and ``N_`` calls (any
object's: ``t.gettext(...)`` counts). `sync` rewrites every ``.po`` file so it holds exactly
those msgids: new ones arrive untranslated, gone ones are dropped, translations are kept. The
tests compare the same extraction with the files, so a missing or stale entry fails a test.

Run ``python -m odrchat.i18n.sources`` after adding or changing a text, then translate the
new entries (empty ``msgstr``) in every catalog but English.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from odrchat.i18n.catalogs import DEFAULT, languages, path_of

PACKAGE = Path(__file__).resolve().parent.parent
KEYWORDS: dict[str, tuple[int, ...] | None] = {"gettext": None, "ngettext": (1, 2), "N_": None}
# Header lines that change on every run (dates, the tool's version) are left out of the files,
# so re-running the sync changes nothing unless a text changed.
VOLATILE = re.compile(
    rb'^"(POT-Creation-Date|PO-Revision-Date|Generated-By|Report-Msgid-Bugs-To|Last-Translator|'
    rb'Language-Team|Project-Id-Version): .*"\n',
    re.MULTILINE,
)
METHODS = [("**/static/**", "ignore"), ("**/migrations/**", "ignore"), ("**.py", "python")]


def extract(root: Path = PACKAGE) -> Catalog:
    """Every marked text under `root` (the odrchat package), as a template catalog."""
    template = Catalog(project="odrchat", locale=None, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        root, METHODS, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        location = (f"odrchat/{filename}", lineno)
        template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def read(language: str) -> Catalog:
    """The catalog file of `language`, parsed."""
    with path_of(language).open("rb") as f:
        return read_po(f, locale=language)


def write(language: str, catalog: Catalog) -> None:
    """Write a catalog in the repository's layout: sorted, file names without line numbers
    (so two branches adding texts rarely touch the same lines)."""
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    path_of(language).write_bytes(VOLATILE.sub(b"", out.getvalue()))


def sync() -> dict[str, int]:
    """Bring every catalog to the extracted msgids; the count of untranslated entries per file."""
    template = extract()
    missing: dict[str, int] = {}
    for language in languages():
        if path_of(language).exists():
            catalog = read(language)
        else:
            catalog = Catalog(locale=language, project="odrchat")
        catalog.update(template, no_fuzzy_matching=True)
        write(language, catalog)
        if language != DEFAULT:
            missing[language] = sum(1 for m in catalog if m.id and not _translated(m.string))
    return missing


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


if __name__ == "__main__":
    for code, count in sync().items():
        print(f"{code}: {count} untranslated")
