"""Facts about this installation, kept in its own database.

`deployment_id` is random, made once, and shared by every worker that uses the database. It
namespaces Redis channels and keys, so two installations that share a Redis server (say a
training site and the live one) can never hear each other's doorbells.
"""

from __future__ import annotations

import secrets

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from odrchat.store.db import Database


class Meta(SQLModel, table=True):
    __tablename__ = "odrchat_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)


async def deployment_id(db: Database) -> str:
    """This installation's id, created on first use (safe when workers start together)."""
    insert = sqlite_insert if db.is_sqlite else pg_insert
    async with db.session() as s:
        await s.exec(
            insert(Meta)
            .values(key="deployment_id", value=secrets.token_hex(8))
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = await s.get(Meta, "deployment_id")
        assert row is not None
        return row.value
