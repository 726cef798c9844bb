"""Every typed error, each made by a real node (and Unreachable by no node at all)."""

from __future__ import annotations

import socket
import time
import unittest

import support
from support import needs_node

import lumadb


@needs_node
class ErrorsTest(unittest.TestCase):
    client: lumadb.Client
    db: str
    coll: lumadb.Collection

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = support.client()
        cls.db = support.unique("errors")
        cls.client.create_database(cls.db)
        cls.coll = cls.client.collection(cls.db, "things")
        cls.coll.create()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.drop_database(cls.db)

    def test_bad_request(self) -> None:
        with self.assertRaises(lumadb.BadRequest) as caught:
            self.client.create_database("bad*name")
        e = caught.exception
        self.assertEqual(400, e.status)
        self.assertEqual("invalid-name", e.slug)
        self.assertTrue(e.title)
        self.assertIn("bad*name", e.detail or "")
        self.assertIsInstance(e, lumadb.LumaDBError)

    def test_unauthorized_without_valid_credentials(self) -> None:
        for bad in (
            support.client(api_key="luma_notakey_notasecret"),
            support.client(api_key=None),
            support.client(api_key=None, user=support.USER or "admin", password="wrong password"),
        ):
            with self.subTest(client=bad), self.assertRaises(lumadb.Unauthorized) as caught:
                bad.list_databases()
            self.assertEqual(401, caught.exception.status)
            self.assertEqual("unauthorized", caught.exception.slug)

    def test_password_sign_in(self) -> None:
        if not support.USER:
            self.skipTest("LUMADB_USER is not set")
        by_password = support.client(api_key=None, user=support.USER, password=support.PASSWORD)
        self.assertEqual(support.USER, by_password.whoami()["name"])
        self.assertIn(self.db, [d["name"] for d in by_password.list_databases()])

    def test_forbidden_for_a_read_only_key(self) -> None:
        reader = support.client(api_key=support.create_key(support.unique("reader"), ["read"]))
        self.coll.put("r1", {"v": 1})
        self.assertEqual(1, reader.collection(self.db, "things").get("r1")["v"])
        with self.assertRaises(lumadb.Forbidden) as caught:
            reader.collection(self.db, "things").put("r1", {"v": 2})
        self.assertEqual(403, caught.exception.status)
        self.assertEqual("forbidden", caught.exception.slug)
        self.assertEqual(1, self.coll.get("r1")["v"])

    def test_not_found(self) -> None:
        with self.assertRaises(lumadb.NotFound) as caught:
            self.client.collection(self.db, "nothing-here").get("x")
        self.assertEqual(404, caught.exception.status)
        self.assertEqual("collection-not-found", caught.exception.slug)

    def test_conflict_and_precondition_failed(self) -> None:
        with self.assertRaises(lumadb.Conflict) as conflict:
            self.coll.create(pre_images=True)
        self.assertEqual(409, conflict.exception.status)
        self.assertEqual("/preImages", conflict.exception.field)
        version = self.coll.put("p1", {"v": 1})["_version"]
        with self.assertRaises(lumadb.PreconditionFailed) as failed:
            self.coll.delete("p1", if_match=version + 1000)
        self.assertEqual(412, failed.exception.status)
        self.assertEqual(version, failed.exception.current_version)

    def test_too_many_requests_when_a_key_holds_too_many_streams(self) -> None:
        limit = support.env_int("LUMADB_TEST_MAX_STREAMS")
        key = support.create_key(support.unique("streams"), ["read"])
        coll = support.client(api_key=key).collection(self.db, "things")
        streams = [coll.changes("now") for _ in range(limit)]
        try:
            for s in streams:
                s.subscribe()
            extra = coll.changes("now")
            with self.assertRaises(lumadb.TooManyRequests) as caught:
                extra.subscribe()
            self.assertEqual(429, caught.exception.status)
            self.assertEqual("too-many-subscriptions", caught.exception.slug)
            self.assertEqual(1.0, caught.exception.retry_after)
        finally:
            for s in streams:
                s.close()

    def test_unavailable_when_an_address_holds_too_many_connections(self) -> None:
        limit = support.env_int("LUMADB_TEST_MAX_CONNECTIONS")
        node = self.client._host, self.client._port
        held = [socket.create_connection(node, timeout=5) for _ in range(limit)]
        try:
            with self.assertRaises(lumadb.Unavailable) as caught:
                self.client.list_databases()
            self.assertEqual(503, caught.exception.status)
            self.assertEqual("too-many-connections", caught.exception.slug)
            self.assertEqual(1.0, caught.exception.retry_after)
        finally:
            for s in held:
                s.close()
        # The node counts the connections down as it sees them close: wait for that, so that
        # the other tests are not refused.
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.list_databases()
                break
            except lumadb.Unavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def test_unreachable_is_a_connection_error(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound, never listening: connections are refused
            nobody = lumadb.Client(f"http://127.0.0.1:{port}", timeout=5)
            with self.assertRaises(lumadb.Unreachable) as caught:
                nobody.list_databases()
            self.assertIsInstance(caught.exception, ConnectionError)
            self.assertEqual(0, caught.exception.status)
            with self.assertRaises(lumadb.Unreachable):
                next(nobody.collection("a", "b").changes())


if __name__ == "__main__":
    unittest.main()
