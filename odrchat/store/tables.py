"""Every table, imported in one place so that the metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

import odrchat.auth.tables
import odrchat.notify.tables  # noqa: F401

metadata = SQLModel.metadata
