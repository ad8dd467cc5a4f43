"""HTTP endpoints of staff administration: accounts, invitations, disabling, roles, resets.

Administrators only; `odrchat.auth.staff.StaffAdmin` decides and audits.
"""

from __future__ import annotations

from typing import Any

from odrchat.api import Call, Endpoint
from odrchat.auth.staff_bodies import Account, Accounts, InviteStaff, SetRole, UserQuery
from odrchat.auth.tables import User


def _me(call: Call[Any]) -> User:
    assert call.current is not None
    return call.current.user


def _user_id(call: Call[Any]) -> int:
    return int(call.params["user_id"])


async def list_users(call: Call[None]) -> Accounts:
    """Accounts by name or email, staff first."""
    query = call.query
    assert isinstance(query, UserQuery)
    users = await call.services.staff.users(query.q, query.role)
    return Accounts(users=[Account.of(u) for u in users])


async def invite_staff(call: Call[InviteStaff]) -> Account:
    """Create a mediator or admin account; they choose their password from an emailed link."""
    b = call.body
    user = await call.services.staff.invite(_me(call), b.email, b.display_name, b.role)
    return Account.of(user)


async def disable_user(call: Call[None]) -> Account:
    """Stop an account from logging in; its sessions end and its sockets close everywhere."""
    return Account.of(await call.services.staff.disable(_me(call), _user_id(call)))


async def enable_user(call: Call[None]) -> Account:
    """Let a disabled account log in again."""
    return Account.of(await call.services.staff.enable(_me(call), _user_id(call)))


async def set_role(call: Call[SetRole]) -> Account:
    """Make an account a mediator, an admin or neither (its sessions end)."""
    role = "" if call.body.role == "none" else call.body.role
    return Account.of(await call.services.staff.set_role(_me(call), _user_id(call), role))


async def force_reset(call: Call[None]) -> Account:
    """The password stops working, sessions end, and a link to choose a new one is emailed."""
    return Account.of(await call.services.staff.force_reset(_me(call), _user_id(call)))


USER = "/api/admin/users/{user_id:int}"
ENDPOINTS = (
    Endpoint(
        "GET",
        "/api/admin/users",
        list_users,
        "Accounts",
        access="admin",
        query=UserQuery,
        reply=Accounts,
        responses=(422,),
        tag="admin",
    ),
    Endpoint(
        "POST",
        "/api/admin/users",
        invite_staff,
        "Invite a mediator or administrator",
        access="admin",
        body=InviteStaff,
        reply=Account,
        status=201,
        responses=(409,),
        tag="admin",
    ),
    Endpoint(
        "POST",
        USER + "/disable",
        disable_user,
        "Disable an account",
        access="admin",
        reply=Account,
        responses=(404, 409),
        tag="admin",
    ),
    Endpoint(
        "POST",
        USER + "/enable",
        enable_user,
        "Enable an account again",
        access="admin",
        reply=Account,
        responses=(404,),
        tag="admin",
    ),
    Endpoint(
        "POST",
        USER + "/role",
        set_role,
        "Change an account's staff role",
        access="admin",
        body=SetRole,
        reply=Account,
        responses=(404, 409),
        tag="admin",
    ),
    Endpoint(
        "POST",
        USER + "/password-reset",
        force_reset,
        "Make an account choose a new password",
        access="admin",
        reply=Account,
        responses=(404, 409),
        tag="admin",
    ),
)
