"""Regenerate the single pre-release migration from the current table metadata.

Until odrchat's first release the schema lives in one migration, 0001; after the release this
tool is retired and every change gets its own Alembic revision. Run: python tools/regen_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from odrchat.store.migrate import MIGRATIONS, alembic_config

for old in (MIGRATIONS / "versions").glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{Path(tmp) / 'empty.sqlite3'}")
    command.revision(cfg, message="schema", autogenerate=True, rev_id="0001")
print("regenerated", next((MIGRATIONS / "versions").glob("0001_*.py")))
