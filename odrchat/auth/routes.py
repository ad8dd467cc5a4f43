"""HTTP endpoints for accounts and sessions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from odrchat.api import Call, Endpoint, json_response
from odrchat.auth import csrf
from odrchat.auth.tables import User
from odrchat.auth.tokens import new_token
from odrchat.schema import EMAIL, PHONE, Body, Bool, F, Password, Str

EmailField = Str(254, 3, pattern=EMAIL, pattern_message="is not an email address", lower=True)
NameField = Str(120, 1)
PhoneField = Str(32, 0, pattern=PHONE, pattern_message="is not a phone number")
TokenField = Str(128, 16)

CHECK_EMAIL = {
    "status": "check_email",
    "message": "If the address can be used, we have sent an email to it. "
    "Please follow the link in that email.",
}


def user_json(user: User) -> dict[str, Any]:
    """What a user may see of their own account."""
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "phone": user.phone,
        "staff_role": user.staff_role or None,
        "email_verified": user.email_verified_at is not None,
        "notify_optional": user.notify_optional,
    }


async def get_session(call: Call) -> Response:
    """Who is logged in, and the CSRF token to send with every change."""
    settings = call.services.settings
    session_cookie, pre_cookie = csrf.cookie_names(settings)
    # Same seed rule as csrf.check: the session cookie when there is one (even a stale one),
    # otherwise the pre-session cookie.
    seed = call.request.cookies.get(session_cookie)
    pre = call.request.cookies.get(pre_cookie)
    response_pre = None
    if seed is None:
        if not pre:
            pre = response_pre = new_token()
        seed = pre
    body = {
        "user": user_json(call.current.user) if call.current else None,
        "csrf_token": csrf.token_for(settings, seed),
    }
    response = json_response(body)
    if response_pre is not None:
        _set_cookie(call, response, pre_cookie, response_pre, max_age=None)
    return response


async def register(call: Call) -> Response:
    """Create an account; always answers the same (no account enumeration)."""
    b = call.body
    await call.services.auth.register(
        b["email"], b["display_name"], b["password"], b["phone"] or None
    )
    return json_response(CHECK_EMAIL, 202)


async def verify_email(call: Call) -> object:
    """Confirm an email address from the emailed link."""
    user = await call.services.auth.verify_email(call.body["token"])
    return {"status": "verified", "email": user.email}


async def login(call: Call) -> Response:
    """Log in: a fresh session token in a Secure, HttpOnly, SameSite=Lax cookie."""
    ua = call.request.headers.get("user-agent", "")
    done = await call.services.auth.login(call.body["email"], call.body["password"], call.ip, ua)
    settings = call.services.settings
    session_cookie, _ = csrf.cookie_names(settings)
    response = json_response(
        {"user": user_json(done.user), "csrf_token": csrf.token_for(settings, done.token)}
    )
    _set_cookie(
        call,
        response,
        session_cookie,
        done.token,
        max_age=int(settings.session_absolute.total_seconds()),
    )
    return response


async def logout(call: Call) -> Response:
    """End this session (and its sockets on every worker)."""
    assert call.current is not None
    await call.services.auth.logout(call.current)
    session_cookie, _ = csrf.cookie_names(call.services.settings)
    response = json_response({"status": "logged_out"})
    response.delete_cookie(
        session_cookie,
        path="/",
        secure=call.services.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


async def forgot_password(call: Call) -> Response:
    """Email a reset link; always answers the same."""
    await call.services.auth.forgot_password(call.body["email"])
    return json_response(CHECK_EMAIL, 202)


async def reset_password(call: Call) -> object:
    """Set a new password from an emailed link; all sessions end."""
    await call.services.auth.reset_password(call.body["token"], call.body["password"])
    return {"status": "password_reset"}


async def change_password(call: Call) -> object:
    """Change the password; other sessions end."""
    assert call.current is not None
    await call.services.auth.change_password(
        call.current, call.body["current_password"], call.body["new_password"]
    )
    return {"status": "password_changed"}


async def get_me(call: Call) -> object:
    """The caller's account."""
    assert call.current is not None
    return user_json(call.current.user)


async def update_me(call: Call) -> object:
    """Change display name, phone or notification choice."""
    assert call.current is not None
    user = await call.services.auth.update_profile(call.user_id, call.body)
    return user_json(user)


def _set_cookie(
    call: Call, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=call.services.settings.secure_cookies,
        samesite="lax",
    )


ENDPOINTS = (
    Endpoint(
        "GET",
        "/api/session",
        get_session,
        "Current user and CSRF token",
        access="public",
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/register",
        register,
        "Register an account",
        access="public",
        body=Body(
            {
                "email": F(EmailField),
                "display_name": F(NameField),
                "password": F(Password()),
                "phone": F(PhoneField, required=False),
            }
        ),
        status=202,
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/verify",
        verify_email,
        "Confirm an email address",
        access="public",
        body=Body({"token": F(TokenField)}),
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/login",
        login,
        "Log in",
        access="public",
        body=Body({"email": F(EmailField), "password": F(Str(1024, 1, strip=False))}),
        responses=(429,),
        tag="auth",
    ),
    Endpoint("POST", "/api/auth/logout", logout, "Log out", tag="auth"),
    Endpoint(
        "POST",
        "/api/auth/password/forgot",
        forgot_password,
        "Ask for a reset link",
        access="public",
        body=Body({"email": F(EmailField)}),
        status=202,
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/password/reset",
        reset_password,
        "Set a new password from a link",
        access="public",
        body=Body({"token": F(TokenField), "password": F(Password())}),
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/password/change",
        change_password,
        "Change password",
        body=Body(
            {"current_password": F(Str(1024, 1, strip=False)), "new_password": F(Password())}
        ),
        tag="auth",
    ),
    Endpoint("GET", "/api/me", get_me, "My account", tag="auth"),
    Endpoint(
        "PATCH",
        "/api/me",
        update_me,
        "Update my account",
        body=Body(
            {
                "display_name": F(NameField, required=False),
                "phone": F(PhoneField, required=False, nullable=True),
                "notify_optional": F(Bool(), required=False),
            }
        ),
        tag="auth",
    ),
)
