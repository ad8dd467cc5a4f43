"""Regenerate the court-paper screenshots in this folder from the sample cases the tests use.

Run from the repository root: `python docs/screenshots/court_pages.py` (needs pdftoppm).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from odrchat.agreements.caption import caption_of
from odrchat.agreements.packet import render_packet
from odrchat.agreements.pdf import render_pdf
from odrchat.agreements.templates import TITLES, AgreementOptions, UnlawfulDetainerRoute
from odrchat.cases.kinds import CaseKind
from tests.agreements.samples import TERMS, agreement_text, context, signatures

HERE = Path(__file__).parent


def agreement(kind: CaseKind) -> bytes:
    text = agreement_text(kind)
    labels = {1: "plaintiff", 2: "defendant"}
    if kind is CaseKind.CIVIL_HARASSMENT:
        labels = {1: "petitioner", 2: "respondent"}
    if kind is CaseKind.COMMUNITY:
        labels = {1: "filing party", 2: "responding party"}
    return render_pdf(
        TITLES[kind],
        text,
        signatures=signatures(text),
        caption=caption_of(context(kind)),
        signer_labels=labels,
    )


def ud_packet() -> bytes:
    kind = CaseKind.UNLAWFUL_DETAINER
    opts = AgreementOptions(ud_route=UnlawfulDetainerRoute.STIPULATED_JUDGMENT)
    text = agreement_text(kind, opts)
    return render_packet(context(kind), text, TERMS[kind].items, signatures(text), opts)


def main() -> None:
    pages = {
        "court-small-claims.png": (agreement(CaseKind.SMALL_CLAIMS), 1),
        "court-unlawful-detainer-stipulation.png": (ud_packet(), 2),
        "court-civil-harassment.png": (agreement(CaseKind.CIVIL_HARASSMENT), 1),
        "court-community.png": (agreement(CaseKind.COMMUNITY), 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (pdf, page) in pages.items():
            source = Path(tmp) / "paper.pdf"
            source.write_bytes(pdf)
            out = Path(tmp) / "page"
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page),
                 "-singlefile", str(source), str(out)],
                check=True,
            )  # fmt: skip
            (HERE / name).write_bytes(out.with_suffix(".png").read_bytes())
            print(HERE / name)


if __name__ == "__main__":
    main()
