"""Databases, collections, documents and bulk writes against a real node."""

from __future__ import annotations

import unittest

import support
from support import needs_node

import lumadb


@needs_node
class DatabasesAndCollectionsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = support.client()
        self.db = support.unique("docs")

    def tearDown(self) -> None:
        try:
            self.client.drop_database(self.db)
        except lumadb.NotFound:
            pass

    def test_create_list_and_drop_databases_and_collections(self) -> None:
        created = self.client.create_database(self.db)
        self.assertEqual(self.db, created["name"])
        self.assertIn(self.db, [d["name"] for d in self.client.list_databases()])
        self.assertEqual(self.db, self.client.create_database(self.db)["name"])  # again: no error

        database = self.client.database(self.db)
        orders = database.collection("orders").create(shards=3, pre_images=True)
        self.assertEqual(
            {"database": self.db, "name": "orders", "shards": 3, "preImages": True},
            {k: orders[k] for k in ("database", "name", "shards", "preImages")},
        )
        database.collection("users").create()
        self.assertEqual(["orders", "users"], sorted(c["name"] for c in database.list_collections()))

        info = database.collection("orders").info()
        self.assertEqual(0, info["documentCount"])
        self.assertEqual(3, info["shards"])

        with self.assertRaises(lumadb.Conflict) as conflict:
            database.collection("orders").create(shards=2)
        self.assertEqual(409, conflict.exception.status)
        self.assertEqual("/shards", conflict.exception.field)

        self.assertEqual({"dropped": f"{self.db}/users"}, database.collection("users").drop())
        self.assertEqual(["orders"], [c["name"] for c in database.list_collections()])
        dropped = self.client.drop_database(self.db)
        self.assertEqual({"dropped": self.db, "collectionsDropped": 1}, dropped)
        self.assertNotIn(self.db, [d["name"] for d in self.client.list_databases()])
        with self.assertRaises(lumadb.NotFound):
            self.client.get_database(self.db)

    def test_a_collection_with_a_schema_refuses_what_does_not_match(self) -> None:
        self.client.create_database(self.db)
        people = self.client.collection(self.db, "people")
        people.create(
            schema={
                "type": "object",
                "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer", "minimum": 0}},
                "required": ["name"],
            }
        )
        people.put("p1", {"name": "Ada", "age": 36})
        with self.assertRaises(lumadb.BadRequest) as bad:
            people.put("p2", {"name": "Bob", "age": -1})
        self.assertEqual("schema-violation", bad.exception.slug)
        self.assertEqual("/age", bad.exception.field)
        with self.assertRaises(lumadb.NotFound):
            people.get("p2")


@needs_node
class DocumentsTest(unittest.TestCase):
    client: lumadb.Client
    db: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = support.client()
        cls.db = support.unique("docs")
        cls.client.create_database(cls.db)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.drop_database(cls.db)

    def collection(self) -> lumadb.Collection:
        coll = self.client.collection(self.db, support.unique("c"))
        coll.create(shards=2)
        return coll

    def test_put_get_patch_delete_with_versions(self) -> None:
        users = self.collection()
        created = users.put("ada", {"name": "Ada", "langs": ["en", "fr"], "address": {"city": "London"}})
        self.assertEqual("ada", created["_id"])
        self.assertEqual("created", created["result"])
        v1 = created["_version"]
        self.assertGreaterEqual(v1, 1)
        self.assertEqual(
            {"_id": "ada", "_version": v1, "name": "Ada", "langs": ["en", "fr"], "address": {"city": "London"}},
            users.get("ada"),
        )
        self.assertEqual(users.get("ada"), users.get("ada", linearizable=True))

        # JSON Merge Patch: set, replace, remove (None), nested merge; only if still at v1
        patch = {"born": 1815, "langs": ["en"], "name": None, "address": {"zip": "W1"}}
        patched = users.patch("ada", patch, if_match=v1)
        v2 = patched["_version"]
        self.assertGreater(v2, v1)
        expected = {
            "_id": "ada",
            "_version": v2,
            "langs": ["en"],
            "born": 1815,
            "address": {"city": "London", "zip": "W1"},
        }
        self.assertEqual(expected, patched)
        self.assertEqual(expected, users.get("ada"))

        with self.assertRaises(lumadb.PreconditionFailed) as stale:
            users.put("ada", {"name": "lost update"}, if_match=v1)
        self.assertEqual(412, stale.exception.status)
        self.assertEqual(v2, stale.exception.current_version)
        self.assertEqual("If-Match", stale.exception.field)
        self.assertEqual(expected, users.get("ada"))  # nothing written

        replaced = users.put("ada", {"name": "Ada Lovelace"}, if_match=v2)
        self.assertEqual("updated", replaced["result"])
        self.assertEqual({"_id": "ada", "_version": replaced["_version"], "name": "Ada Lovelace"}, users.get("ada"))

        with self.assertRaises(lumadb.PreconditionFailed) as exists:
            users.insert("ada", {"name": "again"})
        self.assertEqual("If-None-Match", exists.exception.field)
        self.assertEqual("created", users.insert("bob", {"name": "Bob"})["result"])

        deleted = users.delete("ada", if_match=replaced["_version"])
        self.assertEqual("deleted", deleted["result"])
        with self.assertRaises(lumadb.NotFound) as gone:
            users.get("ada")
        self.assertEqual("document-not-found", gone.exception.slug)
        with self.assertRaises(lumadb.NotFound):
            users.delete("ada")
        with self.assertRaises(lumadb.NotFound):
            users.patch("ada", {"x": 1})

    def test_ids_with_reserved_url_characters(self) -> None:
        coll = self.collection()
        for doc_id in ("a?b", "c#d", "e f", "100%", "ünï✓", "x&y=z"):
            coll.put(doc_id, {"v": doc_id})
            self.assertEqual(doc_id, coll.get(doc_id)["v"])
        self.assertEqual(
            sorted(["a?b", "c#d", "e f", "100%", "ünï✓", "x&y=z"], key=lambda s: s.encode()),
            [d["_id"] for d in coll.iter_documents()],
        )

    def test_list_pages_in_id_order(self) -> None:
        coll = self.collection()
        ids = [f"doc-{i:03d}" for i in range(25)]
        result = coll.put_many({"_id": i, "n": n} for n, i in enumerate(reversed(ids)))
        self.assertFalse(result["errors"])
        first = coll.list_documents(limit=10)
        self.assertEqual(ids[:10], [d["_id"] for d in first.documents])
        self.assertEqual(ids[9], first.next)
        second = coll.list_documents(after=first.next, limit=10)
        self.assertEqual(ids[10:20], [d["_id"] for d in second.documents])
        self.assertEqual(ids, [d["_id"] for d in coll.iter_documents(page_size=7)])
        self.assertEqual(25, coll.info()["documentCount"])

    def test_bulk_writes_report_each_item(self) -> None:
        coll = self.collection()
        coll.put("old", {"v": 0})
        old_version = coll.get("old")["_version"]
        answer = coll.bulk(
            [
                {"op": "put", "id": "a", "doc": {"v": 1}},
                {"op": "create", "id": "old", "doc": {"v": 2}},
                {"op": "patch", "id": "old", "doc": {"w": 3}, "ifMatch": old_version},
                {"doc": {"_id": "b", "v": 4}},
                {"op": "delete", "id": "missing"},
            ]
        )
        self.assertTrue(answer["errors"])
        items = answer["items"]
        self.assertEqual(["a", "old", "old", "b", "missing"], [i["_id"] for i in items])
        self.assertEqual([201, 412, 200, 201, 404], [i["status"] for i in items])
        self.assertEqual("urn:lumadb:problem:precondition-failed", items[1]["error"]["type"])
        self.assertEqual({"_id": "old", "_version": items[2]["_version"], "v": 0, "w": 3}, coll.get("old"))
        self.assertEqual(4, coll.get("b")["v"])

        # one malformed item: 400 naming it, and nothing written
        with self.assertRaises(lumadb.BadRequest) as bad:
            coll.bulk([{"op": "put", "id": "c", "doc": {"v": 5}}, {"op": "explode", "id": "d"}])
        self.assertEqual("/1/op", bad.exception.field)
        self.assertEqual("invalid-bulk-item", bad.exception.slug)
        with self.assertRaises(lumadb.NotFound):
            coll.get("c")


if __name__ == "__main__":
    unittest.main()
