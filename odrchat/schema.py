"""Request bodies: one declaration validates input and describes it in the OpenAPI document.

A body is a `Body` of named fields. `Body.parse` returns a plain dict of checked, typed values or
raises `Invalid` with a message per field; `Body.json_schema` says the same thing to clients, so
the published schema and what the server accepts cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from odrchat.errors import Invalid

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")


@dataclass(frozen=True, slots=True)
class Str:
    max_length: int
    min_length: int = 0
    multiline: bool = False
    pattern: re.Pattern[str] | None = None
    pattern_message: str = "has the wrong format"
    lower: bool = False
    strip: bool = True

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if self.strip:
            value = value.strip()
        value = unicodedata.normalize("NFC", value)
        if len(value) > self.max_length:
            raise ValueError(f"must be at most {self.max_length} characters")
        if len(value) < self.min_length:
            raise ValueError(
                "is required"
                if self.min_length == 1
                else f"must be at least {self.min_length} characters"
            )
        bad = value if self.multiline else value.replace("\n", "\x00")
        if _CONTROL.search(bad.replace("\t", " ").replace("\r\n", "\n")):
            raise ValueError("contains control characters")
        if self.pattern is not None and value and not self.pattern.match(value):
            raise ValueError(self.pattern_message)
        text: str = value
        return text.lower() if self.lower else text

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            out["minLength"] = self.min_length
        return out


@dataclass(frozen=True, slots=True)
class Password:
    """A password: any characters, at least 10, at most 1 KiB encoded (refused before hashing)."""

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if len(value.encode("utf-8", "surrogatepass")) > 1024:
            raise ValueError("must be at most 1024 bytes")
        if len(value) < 10:
            raise ValueError("must be at least 10 characters")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 10, "maxLength": 1024, "format": "password"}


@dataclass(frozen=True, slots=True)
class Int:
    minimum: int
    maximum: int

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"must be between {self.minimum} and {self.maximum}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True, slots=True)
class Bool:
    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True, slots=True)
class Choice:
    values: tuple[str, ...]

    def check(self, value: Any) -> str:
        if value not in self.values:
            raise ValueError("must be one of: " + ", ".join(self.values))
        return str(value)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True, slots=True)
class Date:
    def check(self, value: Any) -> date:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError("must be a date like 2027-01-31")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date like 2027-01-31") from None

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


@dataclass(frozen=True, slots=True)
class Json:
    """Structured JSON checked further by a domain parser (for example offer terms)."""

    kind: str  # "array" or "object"
    description: str = ""

    def check(self, value: Any) -> Any:
        expected = list if self.kind == "array" else dict
        if not isinstance(value, expected):
            raise ValueError(f"must be an {self.kind}")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.description:
            out["description"] = self.description
        return out


FieldType = Str | Password | Int | Bool | Choice | Date | Json


@dataclass(frozen=True, slots=True)
class F:
    """One field of a body."""

    type: FieldType
    required: bool = True
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Body:
    fields: dict[str, F] = field(default_factory=dict)

    def parse(self, data: Any) -> dict[str, Any]:
        """Check `data` against the fields; unknown fields are refused."""
        if not isinstance(data, dict):
            raise Invalid("The request body must be a JSON object.")
        errors: dict[str, str] = {}
        out: dict[str, Any] = {}
        for name in data:
            if name not in self.fields:
                errors[str(name)[:64]] = "is not a known field"
        for name, spec in self.fields.items():
            if name not in data:
                if spec.required:
                    errors[name] = "is required"
                else:
                    out[name] = None
                continue
            value = data[name]
            if value is None and (spec.nullable or not spec.required):
                out[name] = None
                continue
            try:
                out[name] = spec.type.check(value)
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise Invalid("Some fields need attention.", fields=errors)
        return out

    def json_schema(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for name, spec in self.fields.items():
            s = spec.type.schema()
            if spec.nullable or not spec.required:
                s = {"anyOf": [s, {"type": "null"}]}
            if spec.description:
                s["description"] = spec.description
            props[name] = s
        return {
            "type": "object",
            "properties": props,
            "required": [n for n, s in self.fields.items() if s.required],
            "additionalProperties": False,
        }
