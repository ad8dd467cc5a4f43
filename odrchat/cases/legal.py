"""The legal texts people accept, in each language, each language's version named by its hash.

The agreement to mediate (with its confidentiality notice and its no-penalty, stop-any-time
wording) has one version for the case machine, `AGREEMENT_TO_MEDIATE_VERSION`, changed when the
English text changes. Each language's text of that version is the catalog's translation of its
paragraphs, so the words a Spanish reader accepted are identified by the English version, the
language and the SHA-256 of the exact text shown: a consent records all three. A corrected
translation therefore has a new hash without touching the English version, and a record always
names the text that was on the screen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from odrchat.cases.texts import AGREEMENT_TO_MEDIATE_VERSION, agreement_text
from odrchat.i18n import texts_for


@dataclass(frozen=True, slots=True)
class LegalText:
    """One legal text as one language shows it."""

    version: str  # the version of the English text it renders (what consenting sends back)
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def language_version(self) -> str:
        """The version, the language and the start of the text's hash: "2026-11-1/es/3f2a…"."""
        return f"{self.version}/{self.language}/{self.sha256[:12]}"


def agreement_to_mediate(language: str | None) -> LegalText:
    """The current agreement to mediate in `language` (English when there is no catalog)."""
    t = texts_for(language)
    return LegalText(AGREEMENT_TO_MEDIATE_VERSION, t.language, agreement_text(t))
