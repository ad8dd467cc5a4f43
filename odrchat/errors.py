"""The error tree. Each error carries hints that only the transport turns into I/O.

    OdrError                       code          HTTP  WebSocket close
    ├── BadRequest                 bad_request   400   (error frame)
    ├── Invalid                    invalid       422   (error frame, with fields)
    ├── NotAuthenticated           unauthenticated 401 4401
    ├── Forbidden                  forbidden     403   (error frame)
    ├── NotFound                   not_found     404   (error frame)
    ├── Conflict                   conflict      409   (error frame)
    ├── TooMany                    rate_limited  429   (error frame)
    ├── PayloadTooLarge            too_large     413   1009
    ├── UnsupportedType            wrong_type    415   (uploads only)
    └── Unavailable                unavailable   503   (error frame, retryable)

Domain errors from the pure cores (CaseError, OfferError, AgreementError) are translated into this
tree by `from_domain` at the service boundary; library errors (SQLAlchemy, redis, aiosmtplib) by
the adapter that calls the library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from odrchat.i18n import Texts


class Say(str):
    """A message with ``{name}`` values: reads as the English text filled in, and keeps the
    template apart so it can be translated before the values go in."""

    text: str
    values: Mapping[str, object]

    def __new__(cls, text: str, values: Mapping[str, object] | None = None) -> Say:
        filled = text.format(**values) if values else text
        self = super().__new__(cls, filled)
        self.text = text
        self.values = dict(values or {})
        return self


class OdrError(Exception):
    """Base of every error a client may see."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, str | Say] | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.detail_code = code or self.code
        self.fields = dict(fields or {})
        self.params = dict(params or {})

    def to_json(self, texts: Texts | None = None) -> dict[str, object]:
        """The error as clients see it; with `texts`, its messages in that language.

        A message is its own msgid (the English text), so translating is a catalog lookup;
        `params` fill its ``{name}`` placeholders after the lookup.
        """

        def say(message: str | Say, values: Mapping[str, object]) -> str:
            text = message.text if isinstance(message, Say) else message
            if isinstance(message, Say):
                values = message.values
            # A value that is itself a Say (a reason inside a sentence) is translated too.
            values = {k: say(v, {}) if isinstance(v, Say) else v for k, v in values.items()}
            found = texts.gettext(text) if texts is not None else text
            return found.format(**values) if values else found

        body: dict[str, object] = {
            "code": self.detail_code,
            "message": say(self.message, self.params),
        }
        if self.fields:
            body["fields"] = {k: say(v, {}) for k, v in self.fields.items()}
        if self.retryable:
            body["retryable"] = True
        return body


class BadRequest(OdrError):
    code = "bad_request"
    status = 400


class Invalid(OdrError):
    code = "invalid"
    status = 422


class NotAuthenticated(OdrError):
    code = "unauthenticated"
    status = 401


class Forbidden(OdrError):
    code = "forbidden"
    status = 403


class NotFound(OdrError):
    code = "not_found"
    status = 404


class Conflict(OdrError):
    code = "conflict"
    status = 409


class TooMany(OdrError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(OdrError):
    code = "too_large"
    status = 413


class UnsupportedType(OdrError):
    code = "wrong_type"
    status = 415


class Unavailable(OdrError):
    code = "unavailable"
    status = 503
    retryable = True


_DOMAIN_CODES: dict[str, type[OdrError]] = {
    "not_allowed": Forbidden,
    "forbidden": Forbidden,
    "conflict": Conflict,
    "wrong_state": Conflict,
    "already_consented": Conflict,
    "stale_text": Conflict,
    "screening_needed": Conflict,
    "already_signed": Conflict,
    "stale_document": Conflict,
    # Agreements: a move the agreement's status or a previous move rules out is a conflict;
    # an attorney signing without the party's say-so (or at all, in harassment) is forbidden.
    "wrong_status": Conflict,
    "already_authorised": Conflict,
    "attorney_not_authorised": Forbidden,
    "attorney_signing_barred": Forbidden,
    "not_found": NotFound,
    "not_yet_due": Conflict,  # payments: reported missed before the due date passed
    # Documents: every refusal keeps its own code, so a client can say exactly what went wrong.
    "too_big": PayloadTooLarge,
    "user_quota": PayloadTooLarge,
    "case_quota": PayloadTooLarge,
    "wrong_type": UnsupportedType,
    "upload_id_reused": Conflict,
    "not_owner": Forbidden,
    "not_private": Conflict,
}


def from_domain(
    code: str,
    message: str,
    fields: Mapping[str, str | Say] | None = None,
    params: Mapping[str, object] | None = None,
) -> OdrError:
    """Translate a pure-core error code into the tree (unknown codes become 422 Invalid)."""
    cls = _DOMAIN_CODES.get(code, Invalid)
    return cls(message, code=code, fields=fields, params=params)
