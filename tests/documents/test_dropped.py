"""A phone loses its connection half-way through an upload to a real server (uvicorn), then
sends the file again with the same upload id: stored exactly once, answered as the first."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.documents import samples
from tests.rooms.world import PASSWORD, build_world
from tests.services import run_sync
from tests.static.conftest import running_server

pytestmark = pytest.mark.slow  # a real server process


def test_an_upload_cut_off_half_way_is_stored_once_when_sent_again(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        w = run_sync(build_world(f"sqlite:///{server.db_path}"))
        data = samples.pdf("Signed lease") + b"%" * 200_000 + b"\n%%EOF\n"
        with httpx.Client(base_url=server.url, timeout=30) as c:
            token = c.get("/api/session").json()["csrf_token"]
            r = c.post(
                "/api/auth/login",
                json={"email": w.email("paul"), "password": PASSWORD},
                headers={"X-CSRF-Token": token},
            )
            assert r.status_code == 200, r.text
            token = c.get("/api/session").json()["csrf_token"]
            cookies = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
            path = f"/api/rooms/{w.rooms['joint']}/documents"
            headers = {
                "X-CSRF-Token": token,
                "X-Upload-Id": "phone-1",
                "X-Document-Name": "lease.pdf",
            }

            # The first attempt: the headers and a third of the body, then the signal is gone.
            parts = urlsplit(server.url)
            with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
                head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                raw.sendall(
                    (
                        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nOrigin: {server.url}\r\n"
                        f"Cookie: {cookies}\r\nContent-Length: {len(data)}\r\n{head}\r\n"
                    ).encode()
                    + data[: len(data) // 3]
                )
            listed = c.get(f"/api/rooms/{w.rooms['joint']}/documents").json()["documents"]
            assert listed == []  # nothing half-stored

            again = c.post(path, content=data, headers=headers)
            assert again.status_code == 201, again.text
            once_more = c.post(path, content=data, headers=headers)
            assert once_more.status_code == 200 and once_more.json()["duplicate"] is True
            assert once_more.json()["document"]["id"] == again.json()["document"]["id"]
            listed = c.get(f"/api/rooms/{w.rooms['joint']}/documents").json()["documents"]
            assert [d["id"] for d in listed] == [again.json()["document"]["id"]]
            got = c.get(listed[0]["url"])
            assert got.content == data
