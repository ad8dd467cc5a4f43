"""What staff administration tells people by email, and its refusals (translated builders)."""

from __future__ import annotations

from odrchat.i18n import N_, Texts
from odrchat.notify.email import EmailMessage, build_email
from odrchat.notify.texts import with_settings_link


def staff_invitation(
    t: Texts, to: str, name: str, role: str, inviter: str, link: str, days: int, public_url: str
) -> EmailMessage:
    """The email that lets a new mediator or administrator choose their own password."""
    added = (
        t.gettext(
            "{inviter} added you to the centre's Online Dispute Resolution service as an "
            "administrator.",
            inviter=inviter,
        )
        if role == "admin"
        else t.gettext(
            "{inviter} added you to the centre's Online Dispute Resolution service as a mediator.",
            inviter=inviter,
        )
    )
    return build_email(
        to,
        t.gettext("You have been added to Online Dispute Resolution"),
        [
            t.gettext("Hello {name},", name=name),
            added,
            t.gettext("Choose your password with the link below, then log in with this address."),
        ],
        (t.gettext("Choose my password"), link),
        with_settings_link(
            t,
            public_url,
            t.ngettext(
                "This link works once and expires in {n} day.",
                "This link works once and expires in {n} days.",
                days,
            ),
        ),
    )


def forced_reset(
    t: Texts, to: str, name: str, link: str, days: int, public_url: str
) -> EmailMessage:
    """The email sent when the centre asks someone to choose a new password."""
    return build_email(
        to,
        t.gettext("Please choose a new password for Online Dispute Resolution"),
        [
            t.gettext("Hello {name},", name=name),
            t.gettext(
                "The centre's administration asked you to choose a new password. Your old "
                "password no longer works, and you have been logged out everywhere."
            ),
        ],
        (t.gettext("Choose a new password"), link),
        with_settings_link(
            t,
            public_url,
            t.ngettext(
                "This link works once and expires in {n} day.",
                "This link works once and expires in {n} days.",
                days,
            ),
        ),
    )


DISABLED = N_("This account is disabled. Please contact the mediation centre.")
LAST_ADMIN = N_("The centre needs at least one administrator who can log in.")
NOT_YOURSELF = N_("You cannot disable your own account.")
EMAIL_TAKEN = N_("That email address already has an account: change its role instead.")
NO_ACCOUNT = N_("No such account.")
