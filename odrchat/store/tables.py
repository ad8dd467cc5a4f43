"""Every table, imported in one place so that the metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

import odrchat.agreements.tables
import odrchat.audit
import odrchat.auth.tables
import odrchat.blobs.tables
import odrchat.cases.tables
import odrchat.control.tables
import odrchat.documents.tables
import odrchat.notify.tables
import odrchat.offers.tables
import odrchat.records
import odrchat.reminders.tables
import odrchat.rooms.tables
import odrchat.safety.tables
import odrchat.store.meta
import odrchat.store.turns
import odrchat.survey.tables  # noqa: F401

metadata = SQLModel.metadata
