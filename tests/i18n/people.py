"""People who read another language than English, as rows."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from odrchat.auth.tables import User
from odrchat.store.db import Database


async def speaks(db: Database, user: User, language: str) -> User:
    async with db.session() as s:
        await s.exec(update(User).where(col(User.id) == user.id).values(language=language))  # type: ignore[call-overload]
    user.language = language
    return user
