"""Request and response bodies of the staff administration endpoints (`/api/admin/users`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from odrchat.auth.bodies import Email, Name
from odrchat.auth.tables import User
from odrchat.bodies import Body, Choice, Query, Reply, Text, Timestamp


class UserQuery(Query):
    q: Annotated[str, Text(120)] | None = Field(None, description="a part of the name or email")
    role: Annotated[str, Choice(("staff", "mediator", "admin", "party"))] | None = Field(
        None, description="only this kind of account (party: no staff role)"
    )


class InviteStaff(Body):
    email: Email
    display_name: Name
    role: Annotated[str, Choice(("mediator", "admin"))]


class SetRole(Body):
    role: Annotated[str, Choice(("mediator", "admin", "none"))] = Field(
        description="none: a party or attorney account"
    )


class Account(Reply):
    """One account as the administration sees it."""

    id: int
    email: str
    display_name: str
    staff_role: Literal["mediator", "admin"] | None
    disabled: bool
    disabled_at: Timestamp | None
    email_verified: bool
    password_set: bool = Field(description="false until an invited or reset person chooses one")
    created_at: Timestamp

    @classmethod
    def of(cls, user: User) -> Account:
        return cls.model_validate(
            {
                "id": user.id,
                "email": user.email,
                "display_name": user.display_name,
                "staff_role": user.staff_role or None,
                "disabled": user.disabled,
                "disabled_at": user.disabled_at,
                "email_verified": user.email_verified_at is not None,
                "password_set": user.password_hash.startswith("$"),
                "created_at": user.created_at,
            }
        )


class Accounts(Reply):
    users: list[Account] = Field(description="staff first, then by name; at most 200")
