"""The security tests' shared world: built once per session, copied per test."""

from __future__ import annotations

import pytest

from tests.security.world import World, build_template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The seeded, logged-in cast in a SQLite file (see tests/security/world.py)."""
    return build_template(tmp_path_factory.mktemp("secworld") / "world.sqlite3")
