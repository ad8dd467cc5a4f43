"""A person's own documents of one case as one ZIP, to take to court.

Built in a temporary file (never in memory) and streamed from there. Entries are stored, not
compressed: photos and PDFs are compressed already. Names are numbered ("01 lease.pdf") so two
files with the same name both survive, and the index.txt lists each file's SHA-256 as recorded
when it was shared, so the bundle can be checked against the room's hash-chained event.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import AsyncIterator, Sequence
from typing import IO

from odrchat.blobs.base import CHUNK_SIZE, BlobStore
from odrchat.documents.tables import Document


def entry_name(number: int, doc: Document) -> str:
    """The file's name inside the ZIP."""
    return f"{number:02d} {doc.name}"


async def build(blobs: BlobStore, documents: Sequence[Document]) -> IO[bytes]:
    """Write the ZIP to a temporary file and return it, positioned at the start."""
    out = tempfile.TemporaryFile(prefix="odrchat-bundle-")  # noqa: SIM115 (handed to stream())
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            index = []
            for number, doc in enumerate(documents, 1):
                name = entry_name(number, doc)
                with archive.open(name, "w", force_zip64=True) as entry:
                    async for chunk in blobs.read(doc.blob_key):
                        entry.write(chunk)
                index.append(f"{name}\t{doc.size} bytes\tSHA-256 {doc.sha256}\t{doc.at:%Y-%m-%d}")
            archive.writestr("index.txt", "\n".join(index) + "\n")
        out.seek(0)
        return out
    except BaseException:
        out.close()
        raise


async def stream(file: IO[bytes]) -> AsyncIterator[bytes]:
    """The file's bytes in chunks; closes (and so deletes) it at the end."""
    try:
        while chunk := file.read(CHUNK_SIZE):
            yield chunk
    finally:
        file.close()
