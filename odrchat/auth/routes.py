"""HTTP endpoints for accounts and sessions."""

from __future__ import annotations

from typing import Any

from odrchat.api import Call, Endpoint, ReplyResponse
from odrchat.auth import csrf
from odrchat.auth.bodies import (
    ChangePassword,
    CheckEmail,
    Forgot,
    Language,
    LoggedOut,
    Login,
    Me,
    PasswordChanged,
    PasswordReset,
    Register,
    Reset,
    Session,
    UpdateMe,
    Verified,
    Verify,
)
from odrchat.auth.tokens import new_token
from odrchat.i18n import N_

CHECK_EMAIL = N_(
    "If the address can be used, we have sent an email to it. Please follow the link in that email."
)


def _check_email(call: Call[Any]) -> CheckEmail:
    return CheckEmail(status="check_email", message=call.texts.gettext(CHECK_EMAIL))


async def get_session(call: Call[None]) -> ReplyResponse:
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
    response = ReplyResponse(
        Session(
            user=Me.of(call.current.user, settings.centre_timezone) if call.current else None,
            csrf_token=csrf.token_for(settings, seed),
            language=call.language,
            languages=Language.all(),
        )
    )
    if response_pre is not None:
        _set_cookie(call, response, pre_cookie, response_pre, max_age=None)
    return response


async def register(call: Call[Register]) -> CheckEmail:
    """Create an account; always answers the same (no account enumeration).

    The email holds a link to `#/verify/<token>`; the app then calls `POST /api/auth/verify`.
    """
    b = call.body
    await call.services.auth.register(
        b.email, b.display_name, b.password, b.phone or None, language=b.language or call.language
    )
    return _check_email(call)


async def verify_email(call: Call[Verify]) -> Verified:
    """Confirm an email address from the emailed link (`#/verify/<token>`)."""
    user = await call.services.auth.verify_email(call.body.token)
    return Verified(status="verified", email=user.email)


async def login(call: Call[Login]) -> ReplyResponse:
    """Log in: a fresh session token in a Secure, HttpOnly, SameSite=Lax cookie."""
    ua = call.request.headers.get("user-agent", "")
    done = await call.services.auth.login(call.body.email, call.body.password, call.ip, ua)
    settings = call.services.settings
    session_cookie, _ = csrf.cookie_names(settings)
    response = ReplyResponse(
        Session(
            user=Me.of(done.user, settings.centre_timezone),
            csrf_token=csrf.token_for(settings, done.token),
            language=done.user.language,
            languages=Language.all(),
        )
    )
    _set_cookie(
        call,
        response,
        session_cookie,
        done.token,
        max_age=int(settings.session_absolute.total_seconds()),
    )
    return response


async def logout(call: Call[None]) -> ReplyResponse:
    """End this session (and its sockets on every worker)."""
    assert call.current is not None
    await call.services.auth.logout(call.current)
    session_cookie, _ = csrf.cookie_names(call.services.settings)
    response = ReplyResponse(LoggedOut(status="logged_out"))
    response.delete_cookie(
        session_cookie,
        path="/",
        secure=call.services.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


async def forgot_password(call: Call[Forgot]) -> CheckEmail:
    """Email a reset link (`#/reset/<token>`); always answers the same."""
    await call.services.auth.forgot_password(call.body.email)
    return _check_email(call)


async def reset_password(call: Call[Reset]) -> PasswordReset:
    """Set a new password from an emailed link (`#/reset/<token>`); all sessions end."""
    await call.services.auth.reset_password(call.body.token, call.body.password)
    return PasswordReset(status="password_reset")


async def change_password(call: Call[ChangePassword]) -> PasswordChanged:
    """Change the password; other sessions end."""
    assert call.current is not None
    await call.services.auth.change_password(
        call.current, call.body.current_password, call.body.new_password
    )
    return PasswordChanged(status="password_changed")


async def get_me(call: Call[None]) -> Me:
    """The caller's account."""
    assert call.current is not None
    return Me.of(call.current.user, call.services.settings.centre_timezone)


async def update_me(call: Call[UpdateMe]) -> Me:
    """Change display name, phone, notification choice or language (fields left out stay)."""
    user = await call.services.auth.update_profile(call.user_id, call.body.model_dump())
    return Me.of(user, call.services.settings.centre_timezone)


def _set_cookie(
    call: Call[Any], response: ReplyResponse, name: str, value: str, *, max_age: int | None
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
        reply=Session,
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/register",
        register,
        "Register an account",
        access="public",
        body=Register,
        reply=CheckEmail,
        status=202,
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/verify",
        verify_email,
        "Confirm an email address",
        access="public",
        body=Verify,
        reply=Verified,
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/login",
        login,
        "Log in",
        access="public",
        body=Login,
        reply=Session,
        responses=(401, 429),
        tag="auth",
    ),
    Endpoint("POST", "/api/auth/logout", logout, "Log out", reply=LoggedOut, tag="auth"),
    Endpoint(
        "POST",
        "/api/auth/password/forgot",
        forgot_password,
        "Ask for a reset link",
        access="public",
        body=Forgot,
        reply=CheckEmail,
        status=202,
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/password/reset",
        reset_password,
        "Set a new password from a link",
        access="public",
        body=Reset,
        reply=PasswordReset,
        tag="auth",
    ),
    Endpoint(
        "POST",
        "/api/auth/password/change",
        change_password,
        "Change password",
        body=ChangePassword,
        reply=PasswordChanged,
        tag="auth",
    ),
    Endpoint("GET", "/api/me", get_me, "My account", reply=Me, tag="auth"),
    Endpoint(
        "PATCH", "/api/me", update_me, "Update my account", body=UpdateMe, reply=Me, tag="auth"
    ),
)
