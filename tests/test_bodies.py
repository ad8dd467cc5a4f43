"""The field rules and base models: what a request may hold and what an answer must hold."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import pytest
from pydantic import ValidationError

from odrchat.bodies import (
    EMAIL,
    Body,
    Day,
    Flag,
    Id,
    Query,
    QueryInt,
    Reply,
    Text,
    Timestamp,
    invalid,
)
from odrchat.errors import Invalid


class Sample(Body):
    name: Annotated[str, Text(10, 1)]
    note: Annotated[str, Text(20, multiline=True)] | None = None
    email: Annotated[str, Text(254, 3, pattern=EMAIL, lower=True)] | None = None
    count: Id | None = None
    on: Annotated[date, Day()] | None = None
    yes: Annotated[bool, Flag()] | None = None


def refused(data: object) -> Invalid:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    return invalid(caught.value)


def test_text_is_trimmed_and_normalised_to_nfc() -> None:
    body = Sample.model_validate({"name": "  e\u0301  ", "email": " Ann@Example.ORG"})
    assert body.name == "\u00e9" and body.email == "ann@example.org"


def test_control_characters_are_refused_and_line_breaks_only_where_multiline() -> None:
    assert refused({"name": "a\x00b"}).fields == {"name": "contains control characters"}
    assert refused({"name": "a\nb"}).fields == {"name": "contains control characters"}
    assert Sample.model_validate({"name": "a\tb", "note": "one\r\ntwo"}).note == "one\r\ntwo"


def test_every_problem_is_named_by_field_with_a_plain_message() -> None:
    error = refused(
        {"name": "", "count": True, "on": "31/01/2027", "yes": "true", "email": "xyz", "more": 1}
    )
    assert error.status == 422 and error.message == "Some fields need attention."
    assert error.fields == {
        "name": "is required",
        "count": "must be a whole number",
        "on": "must be a date like 2027-01-31",
        "yes": "must be true or false",
        "email": "has the wrong format",
        "more": "is not a known field",
    }
    assert refused({}).fields == {"name": "is required"}
    assert refused({"name": "n" * 11}).fields == {"name": "must be at most 10 characters"}
    assert refused({"name": "n", "count": 2**31}).fields == {
        "count": "must be between 1 and 2147483647"
    }


def test_a_body_that_is_not_an_object_is_refused_without_fields() -> None:
    for data in ([], "name", 5, None):
        error = refused(data)
        assert error.message == "The request body must be a JSON object." and error.fields == {}


class Answer(Reply):
    at: Timestamp
    n: int | None


def test_an_answer_with_an_unknown_or_missing_key_fails_loudly() -> None:
    now = datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Answer.model_validate({"at": now, "n": 1, "secret": "x"})
    with pytest.raises(ValidationError):
        Answer.model_validate({"at": now})
    with pytest.raises(ValidationError):
        Answer.model_validate({"at": datetime(2027, 1, 31), "n": 1})  # no zone


def test_times_in_answers_are_written_as_isoformat() -> None:
    now = datetime(2027, 1, 31, 17, 0, 5, 120, tzinfo=UTC)
    assert Answer(at=now, n=None).model_dump(mode="json") == {"at": now.isoformat(), "n": None}
    text = "2027-01-31T17:00:00+00:00"
    assert Answer.model_validate({"at": text, "n": 1}).model_dump(mode="json")["at"] == text


def test_rules_describe_themselves_in_the_schema() -> None:
    props = Sample.json_schema()["properties"]
    assert props["name"] == {"type": "string", "maxLength": 10, "minLength": 1}
    assert props["email"]["anyOf"][0]["pattern"] == EMAIL.pattern
    assert props["count"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    assert Sample.json_schema()["additionalProperties"] is False


class Page(Query):
    before: Annotated[int, QueryInt(1, 100)] | None = None


def test_query_parameters_are_decimal_digits_in_range_and_others_are_ignored() -> None:
    assert Page.model_validate({"before": "42", "_": "cache-buster"}).before == 42
    assert Page.model_validate({}).before is None
    for bad, message in (
        ("x", "must be a whole number"),
        ("-1", "must be a whole number"),
        ("\uff15", "must be a whole number"),  # a full-width digit
        ("0", "must be between 1 and 100"),
    ):
        with pytest.raises(ValidationError) as caught:
            Page.model_validate({"before": bad})
        assert invalid(caught.value).fields == {"before": message}
