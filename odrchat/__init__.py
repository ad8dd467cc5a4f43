"""odrchat: an Online Dispute Resolution server for court-connected mediation."""

from __future__ import annotations

__version__ = "0.1.0"
