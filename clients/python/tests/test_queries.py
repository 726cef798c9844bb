"""JQL queries, explain, secondary indexes and SQL against a real node."""

from __future__ import annotations

import unittest

import support
from support import needs_node

import lumadb

BOOKS = [
    {
        "_id": "dune",
        "title": "Dune",
        "year": 1965,
        "price": 9.5,
        "tags": ["sf", "classic"],
        "author": {"name": "Herbert", "country": "US"},
    },
    {
        "_id": "solaris",
        "title": "Solaris",
        "year": 1961,
        "price": 7,
        "tags": ["sf"],
        "author": {"name": "Lem", "country": "PL"},
    },
    {
        "_id": "hobbit",
        "title": "The Hobbit",
        "year": 1937,
        "price": 8,
        "tags": ["fantasy", "classic"],
        "author": {"name": "Tolkien", "country": "GB"},
    },
    {"_id": "emma", "title": "Emma", "year": 1815, "price": 5.5, "author": {"name": "Austen", "country": "GB"}},
]


@needs_node
class QueriesTest(unittest.TestCase):
    client: lumadb.Client
    db: str
    books: lumadb.Collection

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = support.client()
        cls.db = support.unique("lib")
        cls.client.create_database(cls.db)
        cls.books = cls.client.collection(cls.db, "books")
        cls.books.create(shards=4)
        answer = cls.books.put_many(BOOKS)
        assert not answer["errors"], answer

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.drop_database(cls.db)

    def test_filter_sort_projection_and_pages(self) -> None:
        sf_before_1970 = {"tags": "sf", "year": {"$lt": 1970}}
        first = self.books.query(sf_before_1970, sort=["-year"], fields=["title", "year"], limit=1)
        version = first["documents"][0]["_version"]
        self.assertEqual([{"_id": "dune", "_version": version, "title": "Dune", "year": 1965}], first["documents"])
        self.assertIsNotNone(first["next"])
        second = self.books.query(sf_before_1970, sort=["-year"], fields=["title"], limit=1, after=first["next"])
        self.assertEqual(["solaris"], [d["_id"] for d in second["documents"]])
        self.assertEqual(
            ["emma", "hobbit", "solaris", "dune"], [d["_id"] for d in self.books.find(sort=["year"], page_size=1)]
        )
        either = self.books.query(
            {
                "$or": [{"author.country": {"$in": ["GB", "PL"]}}, {"tags": {"$all": ["sf", "classic"]}}],
                "price": {"$gte": 6},
            },
            sort=["price"],
        )
        self.assertEqual(["solaris", "hobbit", "dune"], [d["_id"] for d in either["documents"]])

    def test_count_aggregate_distinct(self) -> None:
        self.assertEqual(3, self.books.count({"tags": {"$exists": True}}))
        self.assertEqual(4, self.books.count())
        groups = self.books.aggregate(
            {"books": {"$count": {}}, "avgPrice": {"$avg": "price"}}, group_by=["author.country"]
        )
        self.assertEqual(
            [
                {"key": {"author.country": "GB"}, "books": 2, "avgPrice": 6.75},
                {"key": {"author.country": "PL"}, "books": 1, "avgPrice": 7.0},
                {"key": {"author.country": "US"}, "books": 1, "avgPrice": 9.5},
            ],
            groups,
        )
        self.assertEqual(["classic", "fantasy", "sf"], self.books.distinct("tags"))

    def test_an_index_is_built_listed_used_and_dropped(self) -> None:
        created = self.books.create_index("by_year", ["year"])
        self.assertEqual("by_year", created["name"])
        self.assertEqual([{"path": "year", "order": "asc"}], created["fields"])
        self.assertIn(created["state"], ("building", "ready"))
        ready = self.books.wait_for_index("by_year")
        self.assertEqual({"indexed": 4, "total": 4, "fraction": 1.0}, ready["progress"])
        self.assertEqual(["by_year"], [i["name"] for i in self.books.list_indexes()])
        self.assertEqual("ready", self.books.create_index("by_year", ["year"])["state"])  # the same again
        with self.assertRaises(lumadb.Conflict) as conflict:
            self.books.create_index("by_year", ["-price"])
        self.assertEqual("index-conflict", conflict.exception.slug)

        plan = self.books.explain({"year": {"$gte": 1900}}, sort=["year"])
        self.assertEqual(4, plan["shardsTouched"])
        used = [s for s in plan["shards"] if s.get("plan") == "index"]
        self.assertEqual(4, len(used), plan)
        self.assertTrue(all(s["index"] == "by_year" for s in used))
        self.assertEqual(3, sum(s["documentsExamined"] for s in plan["shards"]))
        scan = self.books.explain({"year": {"$gte": 1900}}, hint="scan")
        self.assertTrue(all(s["plan"] == "scan" for s in scan["shards"]), scan)

        self.assertEqual({"dropped": "by_year"}, self.books.drop_index("by_year"))
        self.assertEqual([], self.books.list_indexes())
        with self.assertRaises(lumadb.NotFound):
            self.books.get_index("by_year")

    def test_an_invalid_query_names_the_offending_part(self) -> None:
        with self.assertRaises(lumadb.BadRequest) as bad:
            self.books.query({"year": {"$foo": 1}})
        self.assertEqual(400, bad.exception.status)
        self.assertEqual("invalid-query", bad.exception.slug)
        self.assertEqual("urn:lumadb:problem:invalid-query", bad.exception.type)
        self.assertEqual("/filter/year/$foo", bad.exception.field)
        self.assertIn("$foo", bad.exception.detail or "")

    def test_sql_with_parameters_and_its_errors(self) -> None:
        database = self.client.database(self.db)
        answer = database.sql('SELECT title, "year" FROM books WHERE price > ? ORDER BY "year"', [7])
        self.assertEqual(["title", "year"], [c["name"] for c in answer["columns"]])
        self.assertEqual([["The Hobbit", 1937], ["Dune", 1965]], answer["rows"])
        self.assertEqual(2, answer["rowCount"])
        with self.assertRaises(lumadb.BadRequest) as bad:
            database.sql("SELECT nope FROM books")
        self.assertEqual(400, bad.exception.status)
        self.assertIsNotNone(bad.exception.sql_state)
        self.assertRegex(bad.exception.sql_state or "", r"^[0-9A-Z]{5}$")
        with self.assertRaises(lumadb.NotFound) as missing:
            self.client.database(support.unique("nodb")).sql("SELECT 1")
        self.assertEqual("3D000", missing.exception.sql_state)


if __name__ == "__main__":
    unittest.main()
