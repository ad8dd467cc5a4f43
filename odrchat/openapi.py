"""The OpenAPI 3.1 document, generated from the same declarations the router uses.

Request and response schemas come from the endpoints' body and reply models (pydantic writes
JSON Schema 2020-12, which OpenAPI 3.1 takes as is); every model lands once under
`components/schemas`. Responses refer to their model there; request bodies are also shown in
place, where a client reads the fields it must send. Every operation documents a schema for every
status it can answer: its reply model on success, the `Error` shape otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from odrchat.api import MAX_PATH_ID, Endpoint
from odrchat.bodies import REF, Query, Schemas

__all__ = ["INTRO", "openapi"]

INTRO = """\
The HTTP API of odrchat. Live conversation (chat, presence, room events) runs over the WebSocket
`/ws`, described in docs/protocol.md.

Every change (POST, PATCH, DELETE) sends the `X-CSRF-Token` header with the token from
`GET /api/session`, and the session cookie once logged in. Errors share one shape (`Error`):
a stable `code`, a `message` for people and, for 422, a message per field.

Links sent by email open the web app at a fragment; the app then calls the API:

* `#/verify/<token>` (after registering): `POST /api/auth/verify` with `{"token": "<token>"}`.
* `#/invite/<token>` (an invitation to a case, or to act as a party's attorney):
  `GET /api/invitations/<token>` to show what it is about, then, logged in with the invited
  address, `POST /api/invitations/<token>/accept`, or `POST /api/invitations/<token>/decline`
  (no account needed).
* `#/reset/<token>` (after "forgot password"): `POST /api/auth/password/reset` with
  `{"token": "<token>", "password": "<new password>"}`.
"""

_NON_JSON = {
    "application/pdf": {"type": "string", "format": "binary"},
    "text/html": {"type": "string"},
    "text/csv": {"type": "string"},
    # Document downloads (image/jpeg, image/png, application/pdf) and their ZIP.
    "*/*": {"type": "string", "format": "binary"},
    "application/zip": {"type": "string", "format": "binary"},
    "image/jpeg": {"type": "string", "format": "binary"},  # a picture's thumbnail
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "retryable": {"type": "boolean"},
            },
        }
    },
}


def openapi(endpoints: Sequence[Endpoint], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for `endpoints`."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for ep in endpoints:
        if ep.body is not None and (ep.body, "validation") not in models:
            models.append((ep.body, "validation"))
        if ep.reply is not None and (ep.reply, "serialization") not in models:
            models.append((ep.reply, "serialization"))
    refs, found = models_json_schema(models, ref_template=REF, schema_generator=Schemas)
    defs: dict[str, Any] = found.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        success = (
            refs[(ep.reply, "serialization")] if ep.reply is not None else _NON_JSON[ep.media_type]
        )
        op: dict[str, Any] = {
            "summary": ep.summary,
            "description": ep.description or (ep.handler.__doc__ or "").strip(),
            "operationId": ep.handler.__name__,
            "tags": [ep.tag],
            "responses": {
                str(ep.status): {
                    "description": "OK",
                    "content": {
                        ep.media_type: {"schema": success},
                        **{alt: {"schema": {"type": "string"}} for alt in ep.alternates},
                    },
                }
            },
        }
        codes = set(ep.responses) | {413, 422} if ep.body else set(ep.responses)
        if ep.method not in ("GET", "HEAD") or ep.access == "admin":
            codes.add(403)
        if ep.access != "public":
            codes.add(401)
        params = [p.strip("{}").split(":")[0] for p in ep.path.split("/") if p.startswith("{")]
        if params:
            codes.add(404)
        if ep.body is not None:
            codes.add(400)
            # A request body is shown in place (clients read its fields where they call).
            body = defs[refs[(ep.body, "validation")]["$ref"].rsplit("/", 1)[1]]
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
        if ep.query is not None:
            codes.add(422)
            op["parameters"] = _query_parameters(ep.query)
        for code in sorted(codes):
            op["responses"][str(code)] = {
                "description": "Error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        if params:
            # A path that matches no route (a malformed id) gets the router's plain-text 404.
            op["responses"]["404"]["content"]["text/plain"] = {"schema": {"type": "string"}}
            op["parameters"] = [
                {
                    "name": p,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PATH_ID}
                    if p.endswith("id")
                    else {"type": "string"},
                }
                for p in params
            ] + op.get("parameters", [])
        path = "/".join(
            "{" + p.strip("{}").split(":")[0] + "}" if p.startswith("{") else p
            for p in ep.path.split("/")
        )
        paths.setdefault(path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "odrchat", "version": version, "description": INTRO},
        "paths": paths,
        "components": {"schemas": {**defs, "Error": _ERROR}},
    }


def _query_parameters(model: type[Query]) -> list[dict[str, Any]]:
    """One query parameter per field of `model` (never null: an absent parameter is None)."""
    schema = model.model_json_schema(ref_template=REF, schema_generator=Schemas)
    out = []
    for name, prop in schema["properties"].items():
        shape = next((s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"), prop)
        shape = {k: v for k, v in shape.items() if k != "default"}
        param = {"name": name, "in": "query", "required": name in schema.get("required", [])}
        if "description" in prop:
            param["description"] = prop["description"]
        out.append({**param, "schema": shape})
    return out
