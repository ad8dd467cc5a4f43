"""Typed HTTP bodies: the field rules and the two base models every endpoint's bodies build on.

A request body is a `Body` subclass. Its fields are annotated with the rules below (`Text`,
`Password`, `Int`, `Flag`, `Choice`, `IntChoice`, `Day`, `Moment`): each rule checks a value and
describes itself in JSON Schema from the same parameters, so the OpenAPI document and what the
server accepts cannot drift apart. Unknown fields are refused; `invalid` turns pydantic's errors
into the one error clients know (422 `invalid`, a plain message per field).

A response body is a `Reply` subclass. Handlers build their answers through one, and unknown or
missing keys fail loudly, so an answer cannot take a shape the document does not describe.
Every text rule normalises to NFC and refuses control characters (tab always passes; line breaks
only where `multiline`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from odrchat.errors import Invalid, Say
from odrchat.i18n import N_, languages

__all__ = [
    "EMAIL",
    "MAX_ID",
    "PHONE",
    "Body",
    "Choice",
    "Day",
    "Flag",
    "Id",
    "Int",
    "IntChoice",
    "LanguageCode",
    "Moment",
    "Password",
    "Query",
    "QueryInt",
    "Reply",
    "Text",
    "Timestamp",
    "invalid",
    "refuse",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns


def refuse(message: str, **values: object) -> PydanticCustomError:
    """A field's refusal: `message` (a catalog msgid) with its ``{name}`` `values`.

    The message is shown as is (a plain ValueError would gain a "Value error, " prefix); the
    template travels in the context too, so `invalid` can hand it on untranslated with its values.
    """
    return PydanticCustomError("invalid", message, {**values, _TEMPLATE: message})


class _Rule:
    """A field rule: `check` validates (raising `refuse`), `schema` describes it."""

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return self.schema()


@dataclass(frozen=True, slots=True)
class Text(_Rule):
    """A string: trimmed (unless `strip` is off), NFC, bounded, free of control characters."""

    max_length: int
    min_length: int = 0
    multiline: bool = False
    pattern: re.Pattern[str] | None = None
    pattern_message: str = "has the wrong format"
    lower: bool = False
    strip: bool = True

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise refuse(N_("must be a string"))
        if self.strip:
            value = value.strip()
        value = unicodedata.normalize("NFC", value)
        if len(value) > self.max_length:
            raise refuse(N_("must be at most {n} characters"), n=self.max_length)
        if len(value) < self.min_length:
            raise refuse(
                N_("is required")
                if self.min_length == 1
                else N_("must be at least {n} characters"),
                n=self.min_length,
            )
        bad = value if self.multiline else value.replace("\n", "\x00")
        if _CONTROL.search(bad.replace("\t", " ").replace("\r\n", "\n")):
            raise refuse(N_("contains control characters"))
        if self.pattern is not None and value and not self.pattern.match(value):
            raise refuse(self.pattern_message)
        text: str = value
        return text.lower() if self.lower else text

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            out["minLength"] = self.min_length
        if self.pattern is not None:
            # An empty value skips the pattern when the field may be empty.
            p = self.pattern.pattern
            out["pattern"] = p if self.min_length else f"^$|{p}"
        return out


@dataclass(frozen=True, slots=True)
class Password(_Rule):
    """A password: any characters, at least 10, at most 1 KiB encoded (refused before hashing)."""

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise refuse(N_("must be a string"))
        if len(value.encode("utf-8", "surrogatepass")) > 1024:
            raise refuse(N_("must be at most 1024 bytes"))
        if len(value) < 10:
            raise refuse(N_("must be at least 10 characters"))
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 10, "maxLength": 1024, "format": "password"}


@dataclass(frozen=True, slots=True)
class Int(_Rule):
    minimum: int
    maximum: int

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(N_("must be a whole number"))
        if not self.minimum <= value <= self.maximum:
            raise refuse(
                N_("must be between {minimum} and {maximum}"),
                minimum=self.minimum,
                maximum=self.maximum,
            )
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True, slots=True)
class QueryInt(_Rule):
    """A whole number in a query string (written in decimal digits)."""

    minimum: int
    maximum: int

    def check(self, value: Any) -> int:
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            raise refuse(N_("must be a whole number"))
        number = int(value)
        if not self.minimum <= number <= self.maximum:
            raise refuse(
                N_("must be between {minimum} and {maximum}"),
                minimum=self.minimum,
                maximum=self.maximum,
            )
        return number

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True, slots=True)
class Flag(_Rule):
    """A JSON boolean (never "true" or 1)."""

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise refuse(N_("must be true or false"))
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True, slots=True)
class Choice(_Rule):
    values: tuple[str, ...]

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise refuse(N_("must be one of: {choices}"), choices=", ".join(self.values))
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True, slots=True)
class IntChoice(_Rule):
    """A whole number from a short fixed list (minutes to wait, say)."""

    values: tuple[int, ...]

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in self.values:
            raise refuse(N_("must be one of: {choices}"), choices=", ".join(map(str, self.values)))
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "enum": list(self.values)}


@dataclass(frozen=True, slots=True)
class Day(_Rule):
    """A calendar date written YYYY-MM-DD."""

    def check(self, value: Any) -> date:
        if not isinstance(value, str) or len(value) != 10:
            raise refuse(N_("must be a date like 2027-01-31"))
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise refuse(N_("must be a date like 2027-01-31")) from None

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


@dataclass(frozen=True, slots=True)
class Moment(_Rule):
    """A point in time with its zone, ISO 8601; empty means none."""

    def check(self, value: Any) -> datetime | None:
        if not isinstance(value, str):
            raise refuse(N_("must be a string"))
        value = value.strip()
        if len(value) > 40:
            raise refuse(N_("must be at most 40 characters"))
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise refuse(N_("must be a time like 2027-01-31T17:00:00+00:00 (with a zone)"))
        return moment

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time", "maxLength": 40}


class _Stamp:
    """A time in an answer: a datetime (or its ISO text) written with `isoformat()`."""

    @staticmethod
    def check(value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise refuse(N_("must be a time with a zone"))
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.check,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: v.isoformat(), when_used="json"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date-time"}


Timestamp = Annotated[datetime, _Stamp()]
# A language code with a catalog (odrchat/i18n/catalogs): a new catalog file is a new choice.
LanguageCode = Annotated[str, Choice(languages())]
Id = Annotated[int, Int(1, MAX_ID)]


REF = "#/components/schemas/{model}"  # where the OpenAPI document keeps every model


class Schemas(GenerateJsonSchema):
    """pydantic's generator without a title on every property (the name says it already)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class Body(BaseModel):
    """A request body: unknown fields refused, values checked by the field rules."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The schema the OpenAPI document shows for this body (nested models by reference)."""
        schema = cls.model_json_schema(ref_template=REF, schema_generator=Schemas)
        schema.pop("$defs", None)
        return schema


class Query(BaseModel):
    """Query string parameters: checked like a body, but parameters it does not name are ignored
    (a cache-busting `?_=` is no error); an empty value counts as absent."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="ignore", frozen=True)


class Reply(BaseModel):
    """A response body: every key described, none missing, none unknown."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid")


_MESSAGES = {"missing": N_("is required"), "extra_forbidden": N_("is not a known field")}
_TEMPLATE = "odrchat_template"


def invalid(exc: ValidationError) -> Invalid:
    """pydantic's errors as the 422 clients know: a message per field, paths joined by '/'.

    Our rules' messages stay templates with values (`Say`), translated when the answer is built.
    """
    fields: dict[str, str | Say] = {}
    for error in exc.errors(include_url=False):
        where = "/".join(str(part) for part in error["loc"])
        if not where:
            return Invalid(N_("The request body must be a JSON object."))
        context = dict(error.get("ctx") or {})
        template = context.pop(_TEMPLATE, None)
        message: str | Say = (
            Say(template, context)
            if isinstance(template, str)
            else _MESSAGES.get(error["type"], error["msg"])
        )
        fields.setdefault(where[:64], message)
    return Invalid(N_("Some fields need attention."), fields=fields)
