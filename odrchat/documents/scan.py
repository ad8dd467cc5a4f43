"""The scanning hook: every upload is shown to a Scanner before anything is stored.

    Scanner          the port: `await scan(path)` returns a Verdict
    NoScanner        the default: lets everything through (content checks still apply)
    Verdict(clean, signature)

The upload service calls the scanner with the file exactly as it was received, before the
content check parses it, so a file that a virus scanner knows is refused before any decoder sees
it. A Verdict that is not clean refuses the upload ("infected") and is audited with the
signature name; a scanner that fails (raises ScanError) refuses it too, as "unavailable", and
the person may try again: a centre that installed a scanner wants nothing stored unscanned.

Plugging in ClamAV: docs/documents.md shows a Scanner that streams the file to clamd over its
INSTREAM command; pass it as `create_app(..., scanner=...)`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NoScanner", "ScanError", "Scanner", "Verdict"]


class ScanError(Exception):
    """The scanner could not give a verdict (unreachable, timed out)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a file may be stored; `signature` names what was found when it may not."""

    clean: bool
    signature: str | None = None


class Scanner(abc.ABC):
    """Looks at an uploaded file before it is stored."""

    @abc.abstractmethod
    async def scan(self, path: Path) -> Verdict:
        """Judge the file at `path` (read it, never change it); raise ScanError on failure."""


class NoScanner(Scanner):
    """No scanner installed: every file is clean as far as this hook is concerned."""

    async def scan(self, path: Path) -> Verdict:
        return Verdict(clean=True)
