"""Request and response bodies of the account and session endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from odrchat.auth.tables import User
from odrchat.bodies import EMAIL, PHONE, Body, Flag, LanguageCode, Password, Reply, Text
from odrchat.i18n import languages, texts_for
from odrchat.notify.prefs import valid_zone

Email = Annotated[
    str, Text(254, 3, pattern=EMAIL, pattern_message="is not an email address", lower=True)
]
Name = Annotated[str, Text(120, 1)]
Phone = Annotated[str, Text(32, 0, pattern=PHONE, pattern_message="is not a phone number")]
Token = Annotated[str, Text(128, 16)]
# A password being checked (not chosen): any length up to 1 KiB, spaces kept.
GivenPassword = Annotated[str, Text(1024, 1, strip=False)]
NewPassword = Annotated[str, Password()]

# -- requests ---------------------------------------------------------------------------------


class Register(Body):
    email: Email
    display_name: Name
    password: NewPassword
    phone: Phone | None = None
    language: LanguageCode | None = Field(
        None, description="the account's language; left out: the language of the request"
    )


class Verify(Body):
    token: Token = Field(description="the token from the emailed link `#/verify/<token>`")


class Login(Body):
    email: Email
    password: GivenPassword


class Forgot(Body):
    email: Email


class Reset(Body):
    token: Token = Field(description="the token from the emailed link `#/reset/<token>`")
    password: NewPassword


class ChangePassword(Body):
    current_password: GivenPassword
    new_password: NewPassword


class UpdateMe(Body):
    display_name: Name | None = None
    phone: Phone | None = Field(None, description="an empty string removes the number")
    notify_optional: Annotated[bool, Flag()] | None = Field(
        None, description="whether to get optional notifications (reminders, new messages)"
    )
    language: LanguageCode | None = Field(
        None, description="the language of the app, emails and texts"
    )


# -- responses --------------------------------------------------------------------------------


class Me(Reply):
    """What a user may see of their own account."""

    id: int
    email: str
    display_name: str
    phone: str | None
    staff_role: Literal["mediator", "admin"] | None
    email_verified: bool
    notify_optional: bool
    language: str
    time_zone: str = Field(
        description="the IANA time zone the user reads times in: their choice on the Account "
        "page, else the centre's (CENTRE_TIMEZONE)"
    )

    @classmethod
    def of(cls, user: User, centre: str) -> Me:
        """The account as its owner sees it; `centre`: the centre's time zone name."""
        zone = user.time_zone if user.time_zone and valid_zone(user.time_zone) else centre
        return cls.model_validate(
            {
                "id": user.id,
                "email": user.email,
                "display_name": user.display_name,
                "phone": user.phone,
                "staff_role": user.staff_role or None,
                "email_verified": user.email_verified_at is not None,
                "notify_optional": user.notify_optional,
                "language": user.language,
                "time_zone": zone,
            }
        )


class Language(Reply):
    """A language the product speaks (a catalog is present for it)."""

    code: str = Field(description="what `language` fields hold, e.g. `es`")
    name: str = Field(description="the language's name in itself, e.g. `Español`")

    @classmethod
    def all(cls) -> list[Language]:
        return [cls(code=code, name=_own_name(code)) for code in languages()]


def _own_name(code: str) -> str:
    name = texts_for(code).language_name(code)
    return name[:1].upper() + name[1:]


class Session(Reply):
    user: Me | None = Field(description="null when nobody is logged in")
    csrf_token: str = Field(description="send it as X-CSRF-Token with every change")
    language: str = Field(
        description="the language of this request: the user's, else the `lang` cookie, "
        "else Accept-Language, else `en`"
    )
    languages: list[Language] = Field(description="the languages one may choose")


class CheckEmail(Reply):
    """The same answer whether or not the address has an account (no enumeration)."""

    status: Literal["check_email"]
    message: str


class Verified(Reply):
    status: Literal["verified"]
    email: str


class LoggedOut(Reply):
    status: Literal["logged_out"]


class PasswordReset(Reply):
    status: Literal["password_reset"]


class PasswordChanged(Reply):
    status: Literal["password_changed"]
