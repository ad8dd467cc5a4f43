"""Endpoint declarations: a handler can only answer with the reply model its endpoint declares."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.responses import Response

from odrchat.api import Call, Endpoint, ReplyResponse, _answer
from odrchat.bodies import Reply


class Good(Reply):
    n: int


class Other(Reply):
    n: int


class Wider(Good):
    secret: str


async def handler(call: Call[Any]) -> Good:
    return Good(n=1)


def test_a_json_endpoint_must_declare_its_reply_and_a_file_endpoint_must_not() -> None:
    with pytest.raises(ValueError):
        Endpoint("GET", "/x", handler, "x")
    with pytest.raises(ValueError):
        Endpoint("GET", "/x", handler, "x", reply=Good, media_type="application/pdf")
    Endpoint("GET", "/x", handler, "x", media_type="application/pdf")


def test_the_declared_reply_is_written_with_the_declared_status() -> None:
    ep = Endpoint("POST", "/x", handler, "x", reply=Good, status=201)
    response = _answer(ep, Good(n=3))
    assert response.status_code == 201 and json.loads(response.body) == {"n": 3}
    with_cookie = ReplyResponse(Good(n=4))
    assert _answer(ep, with_cookie) is with_cookie


@pytest.mark.parametrize(
    "result",
    [Other(n=1), Wider(n=1, secret="x"), ReplyResponse(Other(n=1)), Response(b"{}")],
    ids=["other model", "subclass with more keys", "other model with cookies", "raw response"],
)
def test_any_other_answer_is_refused(result: Reply | Response) -> None:
    ep = Endpoint("GET", "/x", handler, "x", reply=Good)
    with pytest.raises(TypeError):
        _answer(ep, result)


def test_a_file_endpoint_answers_with_a_response_but_never_a_model() -> None:
    ep = Endpoint("GET", "/x", handler, "x", media_type="application/pdf")
    pdf = Response(b"%PDF", media_type="application/pdf")
    assert _answer(ep, pdf) is pdf
    with pytest.raises(TypeError):
        _answer(ep, Good(n=1))
