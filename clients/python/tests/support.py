"""What the tests share: the package on the path, the node under test and its harness.

The tests that need a node read it from the environment, as the harness sets it
(``io.lumadb.clients.ClientSuite``):

- ``LUMADB_URL``: the node; ``LUMADB_API_KEY``: an admin API key;
  ``LUMADB_USER``/``LUMADB_PASSWORD``: the admin user;
- ``LUMADB_TEST_CONTROL``: the harness's control endpoint (``POST /restart``);
- ``LUMADB_TEST_MAX_STREAMS``, ``LUMADB_TEST_MAX_CONNECTIONS``: the node's stream limit per
  principal and connection limit per address (loopback included), which the error tests reach.

Without ``LUMADB_URL`` those tests are skipped; the parser tests run anyway.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import unittest
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import lumadb  # noqa: E402

URL = os.environ.get("LUMADB_URL")
API_KEY = os.environ.get("LUMADB_API_KEY")
USER = os.environ.get("LUMADB_USER")
PASSWORD = os.environ.get("LUMADB_PASSWORD")
CONTROL = os.environ.get("LUMADB_TEST_CONTROL")

needs_node = unittest.skipUnless(URL, "LUMADB_URL is not set: no node to test against")
needs_control = unittest.skipUnless(URL and CONTROL, "LUMADB_TEST_CONTROL is not set: the node cannot be restarted")

# Short backoff: the tests wait for a restarted node, not for a production backoff.
FAST = lumadb.Reconnect(initial_delay=0.05, max_delay=0.5, give_up_after=90.0, read_timeout=30.0)


def client(**overrides: object) -> lumadb.Client:
    """A client of the node under test, signed in with the admin API key."""
    kwargs: dict[str, object] = {"api_key": API_KEY} if API_KEY else {}
    kwargs.update(overrides)
    assert URL is not None
    return lumadb.Client(URL, **kwargs)  # type: ignore[arg-type]


def unique(prefix: str) -> str:
    """A database or collection name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def env_int(name: str) -> int:
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest(f"{name} is not set")
    return int(value)


def control(action: str) -> dict[str, Any]:
    """Asks the harness to ``restart``, ``stop`` or ``start`` the node, or for its ``status``;
    returns once done, with the node's ``{"pid", "starts", "alive"}``."""
    assert CONTROL is not None
    request = urllib.request.Request(f"{CONTROL}/{action}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=180) as answer:
        body = answer.read()
        if answer.status != 200:
            raise AssertionError(f"control {action}: {answer.status} {body!r}")
        return json.loads(body)  # type: ignore[no-any-return]


def create_key(name: str, roles: list[object]) -> str:
    """A new API key's secret, made by the admin."""
    answer = client().request("POST", "/api/v1/_security/keys", body={"name": name, "roles": roles})
    return str(answer.body["secret"])


def dump(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def watchdog(test: unittest.TestCase, *streams: Any, seconds: float = 60) -> None:
    """Closes ``streams`` after ``seconds``, so that a test waiting for an event that never
    comes fails (its iteration ends) instead of hanging."""
    timer = threading.Timer(seconds, lambda: [s.close() for s in streams])
    timer.daemon = True
    timer.start()
    test.addCleanup(timer.cancel)
