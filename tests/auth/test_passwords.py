"""argon2id with pinned parameters, checked against RFC 9106."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from odrchat.auth.passwords import Passwords
from odrchat.settings import PRODUCTION_ARGON2, TEST_ARGON2, Argon2Profile


def test_production_parameters_follow_rfc_9106() -> None:
    # RFC 9106 section 4, second recommended option: argon2id, t=3, p=4, m=64 MiB,
    # 128-bit salt, 256-bit tag.
    assert (
        Argon2Profile(
            time_cost=3, memory_cost_kib=64 * 1024, parallelism=4, hash_len=32, salt_len=16
        )
        == PRODUCTION_ARGON2
    )


async def test_production_hash_encodes_the_pinned_parameters() -> None:
    stored = await Passwords(PRODUCTION_ARGON2).hash("correct horse battery")
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)
    assert params.hash_len == 32 and params.salt_len == 16


async def test_verify_and_rehash_when_parameters_change() -> None:
    old = Passwords(TEST_ARGON2)
    stored = await old.hash("correct horse battery")
    assert await old.verify(stored, "correct horse battery") == (True, False)
    assert await old.verify(stored, "wrong") == (False, False)
    stronger = Passwords(Argon2Profile(time_cost=2, memory_cost_kib=2048, parallelism=1))
    assert await stronger.verify(stored, "correct horse battery") == (True, True)


async def test_oversize_password_is_refused_before_hashing() -> None:
    with pytest.raises(ValueError):
        await Passwords(TEST_ARGON2).hash("é" * 513)  # 1026 bytes
