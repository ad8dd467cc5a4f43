"""A real S3-compatible server for tests: moto's standalone server on a free loopback port.

moto (https://github.com/getmoto/moto) implements the S3 REST protocol (signatures, multipart
uploads, presigned URLs) as an HTTP server; `python -m moto.server` runs it as its own process,
which the tests start once per session and stop by PID. Locally a missing moto skips the S3
tests with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from tests.cluster import free_port, poll
from tests.services import unavailable

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class S3Endpoint:
    """Where the test server listens, and credentials it accepts (moto accepts any)."""

    url: str
    access_key_id: str = ACCESS_KEY
    secret_access_key: str = SECRET_KEY
    region: str = REGION

    def new_bucket(self) -> str:
        """Create an empty bucket for one test (a PUT to the bucket's path, as S3 does)."""
        name = f"odrchat-{uuid.uuid4().hex[:16]}"
        response = httpx.put(f"{self.url}/{name}", timeout=10)
        assert response.status_code == 200, response.text
        return name


def moto_server() -> Iterator[S3Endpoint]:
    """Start moto's server, yield its endpoint, stop it (by PID) afterwards."""
    if importlib.util.find_spec("moto.server") is None or importlib.util.find_spec("flask") is None:
        unavailable("moto's standalone server is not installed: pip install 'moto[server]'")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"moto server exited with {proc.returncode}")
        try:
            return httpx.get(url + "/moto-api/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        poll(ready, "moto server on " + url)
        yield S3Endpoint(url)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
