"""The LumaDB client: databases, collections, documents, queries, indexes, SQL and streams."""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ._version import __version__
from .errors import LumaDBError, Unreachable, error_from_problem
from .streams import (
    AsyncChangeStream,
    AsyncLiveQuery,
    ChangeStream,
    LiveQuery,
    Reconnect,
    changes_core,
    live_core,
)

__all__ = ["Client", "Database", "Collection", "Page", "Response"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class Response:
    """A successful answer: its status, headers (lower-case names) and JSON body (``None`` if empty)."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Page:
    """A page of documents in ``_id`` order; ``next`` is the cursor of the following page (``None`` at the end)."""

    documents: list[JSON]
    next: str | None


class Client:
    """A connection to a LumaDB node over its HTTP API.

    Args:
        url: the node, such as ``http://127.0.0.1:8080`` or ``https://db.example.com``.
        api_key: an API key (``luma_...``) or an access token, sent as ``Authorization: Bearer``.
        user: a user name for HTTP Basic, with ``password``.
        password: the user's password.
        ca_file: a PEM file of the certificate authorities to trust for ``https`` (else the
            system's).
        timeout: seconds to wait for a connection and for each answer.

    The client is thread-safe: every request opens its own connection. Streams
    (:meth:`Collection.changes`, :meth:`Collection.live`) hold one connection each.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8080",
        *,
        api_key: str | None = None,
        user: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be http://host[:port] or https://host[:port], not {url!r}")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(f"url names the node only, without a path or query: {url!r}")
        if api_key is not None and user is not None:
            raise ValueError("give either api_key or user and password, not both")
        if (user is None) != (password is None):
            raise ValueError("user and password go together")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        host = f"[{self._host}]" if ":" in self._host else self._host
        default_port = self._port == (443 if parts.scheme == "https" else 80)
        self._host_header = host if default_port else f"{host}:{self._port}"
        self._ssl_context: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._ssl_context = ssl.create_default_context(cafile=ca_file)
        elif ca_file is not None:
            raise ValueError("ca_file is for https URLs")
        self._user_agent = f"lumadb-python/{__version__}"
        self._authorization: str | None = None
        if api_key is not None:
            self._authorization = f"Bearer {api_key}"
        elif user is not None and password is not None:
            pair = f"{user}:{password}".encode()
            self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")

    @classmethod
    def from_env(cls, **overrides: Any) -> Client:
        """A client from ``LUMADB_URL``, ``LUMADB_API_KEY`` or ``LUMADB_USER`` and
        ``LUMADB_PASSWORD`` (as the ``lumadb`` command line reads them); ``overrides`` win."""
        kwargs: dict[str, Any] = {"url": os.environ.get("LUMADB_URL", "http://127.0.0.1:8080")}
        if os.environ.get("LUMADB_API_KEY"):
            kwargs["api_key"] = os.environ["LUMADB_API_KEY"]
        elif os.environ.get("LUMADB_USER"):
            kwargs["user"] = os.environ["LUMADB_USER"]
            kwargs["password"] = os.environ.get("LUMADB_PASSWORD", "")
        kwargs.update(overrides)
        return cls(**kwargs)

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # ---- the HTTP exchange

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        parse: bool = True,
    ) -> Response:
        """Sends one request and returns its answer; raises a :class:`LumaDBError` for any status
        of 300 or more (typed by status) and :class:`Unreachable` when no answer came.

        ``path`` is the path on the node, already encoded (see :func:`path`); ``body`` is sent as
        JSON, ``raw_body`` as is. With ``parse`` false a successful answer's body stays bytes.
        """
        target = path
        if params:
            query = urlencode({k: _param(v) for k, v in params.items() if v is not None})
            if query:
                target += "?" + query
        sent_headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if self._authorization:
            sent_headers["Authorization"] = self._authorization
        data: bytes | None = raw_body
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if data is not None:
            sent_headers["Content-Type"] = content_type
        if headers:
            sent_headers.update(headers)
        connection: http.client.HTTPConnection
        if self._ssl_context is not None:
            connection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._ssl_context
            )
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        try:
            connection.request(method, target, body=data, headers=sent_headers)
            answer = connection.getresponse()
            payload = answer.read()
            status = answer.status
            reason = answer.reason
            answer_headers = {k.lower(): v for k, v in answer.getheaders()}
        except (OSError, http.client.HTTPException) as e:
            raise Unreachable(f"{method} {self.url}{path}: {e or type(e).__name__}", self.url) from e
        finally:
            connection.close()
        parsed: Any = None
        if not parse and status < 300:
            return Response(status, answer_headers, payload)
        if payload:
            try:
                parsed = json.loads(payload.decode("utf-8"))
            except ValueError:
                parsed = payload.decode("utf-8", errors="replace") if status >= 300 else payload
        if status >= 300:
            problem = parsed if isinstance(parsed, dict) else None
            error = error_from_problem(status, problem, reason, answer_headers.get("retry-after"))
            if problem is None and isinstance(parsed, str) and parsed:
                error.detail = parsed[:500]
            raise error
        return Response(status, answer_headers, parsed)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).body

    # ---- the node

    def health(self) -> JSON:
        """``/health``: whether the process answers."""
        return self._json("GET", "/health")  # type: ignore[no-any-return]

    def ready(self) -> JSON:
        """``/ready``: whether the node takes traffic (raises :class:`Unavailable` when not)."""
        return self._json("GET", "/ready")  # type: ignore[no-any-return]

    def whoami(self) -> JSON:
        """The caller as the node sees it: name, kind, roles, grants."""
        return self._json("GET", "/api/v1/_security/whoami")  # type: ignore[no-any-return]

    def openapi(self) -> JSON:
        """The node's OpenAPI 3.1 description of its API."""
        return self._json("GET", "/api/v1/openapi.json")  # type: ignore[no-any-return]

    # ---- databases

    def list_databases(self) -> list[JSON]:
        """Every database: ``[{"name", "createdAt", "collectionCount"}, ...]``."""
        return self._json("GET", "/api/v1")["databases"]  # type: ignore[no-any-return]

    def create_database(self, name: str) -> JSON:
        """Creates a database (nothing happens if it exists); returns its description."""
        return self._json("PUT", path(name))  # type: ignore[no-any-return]

    def get_database(self, name: str) -> JSON:
        """A database with its collections; :class:`NotFound` if there is none."""
        return self._json("GET", path(name))  # type: ignore[no-any-return]

    def drop_database(self, name: str) -> JSON:
        """Drops a database and all its collections: ``{"dropped", "collectionsDropped"}``."""
        return self._json("DELETE", path(name))  # type: ignore[no-any-return]

    def database(self, name: str) -> Database:
        """A handle on database ``name`` (nothing is sent)."""
        return Database(self, name)

    def collection(self, database: str, name: str) -> Collection:
        """A handle on collection ``database/name`` (nothing is sent)."""
        return Collection(self, database, name)


class Database:
    """A database of a node: its collections and SQL."""

    def __init__(self, client: Client, name: str) -> None:
        self.client = client
        self.name = name

    def __repr__(self) -> str:
        return f"Database({self.name!r})"

    def create(self) -> JSON:
        """Creates it if it does not exist."""
        return self.client.create_database(self.name)

    def drop(self) -> JSON:
        """Drops it with all its collections."""
        return self.client.drop_database(self.name)

    def info(self) -> JSON:
        """Its description, with its collections."""
        return self.client.get_database(self.name)

    def list_collections(self) -> list[JSON]:
        """Its collections: ``[{"database", "name", "shards", "preImages", "createdAt"}, ...]``."""
        return self.info().get("collections", [])  # type: ignore[no-any-return]

    def collection(self, name: str) -> Collection:
        return Collection(self.client, self.name, name)

    def sql(self, statement: str, params: Sequence[Any] | None = None) -> JSON:
        """Runs a SQL statement over the database's collections (``?`` marks parameters).

        Returns ``{"columns": [{"name", "type", "nullable"}], "rows": [[...]], "rowCount",
        "documentsRead"}``; a failed statement raises with :attr:`LumaDBError.sql_state` set.
        """
        body: JSON = {"sql": statement}
        if params is not None:
            body["params"] = list(params)
        return self.client._json("POST", path(self.name, "_sql"), body=body)  # type: ignore[no-any-return]


class Collection:
    """A collection: its documents, queries, indexes, change stream and live queries."""

    def __init__(self, client: Client, database: str, name: str) -> None:
        self.client = client
        self.database = database
        self.name = name

    def __repr__(self) -> str:
        return f"Collection({self.database!r}, {self.name!r})"

    def _path(self, *more: str) -> str:
        return path(self.database, self.name, *more)

    # ---- the collection itself

    def create(
        self,
        *,
        shards: int | None = None,
        pre_images: bool | None = None,
        schema: JSON | None = None,
        tiering: JSON | None = None,
    ) -> JSON:
        """Creates the collection (its database must exist); the same again is no error.

        ``shards`` is fixed at creation, ``pre_images`` makes changes carry ``before``,
        ``schema`` is a JSON Schema every write must satisfy, ``tiering`` the cold tier's policy.
        A different shard count, pre-images or schema than the existing collection's is a
        :class:`Conflict`.
        """
        options: JSON = {}
        if shards is not None:
            options["shards"] = shards
        if pre_images is not None:
            options["preImages"] = pre_images
        if schema is not None:
            options["schema"] = schema
        if tiering is not None:
            options["tiering"] = tiering
        return self.client._json("PUT", self._path(), body=options or None)  # type: ignore[no-any-return]

    def info(self) -> JSON:
        """Its description with ``documentCount``."""
        return self.client._json("GET", self._path())  # type: ignore[no-any-return]

    def drop(self) -> JSON:
        """Drops it and its documents; its streams end."""
        return self.client._json("DELETE", self._path())  # type: ignore[no-any-return]

    # ---- documents

    def get(self, id: str, *, linearizable: bool = False) -> JSON:
        """The document with ``_id`` ``id`` (with ``_id`` and ``_version``); :class:`NotFound` if none.

        ``linearizable`` makes the shard confirm with its journal that its copy is current.
        """
        params = {"consistency": "linearizable"} if linearizable else None
        return self.client._json("GET", self._path(id), params=params)  # type: ignore[no-any-return]

    def put(
        self, id: str, document: Mapping[str, Any], *, if_match: int | str | None = None, create_only: bool = False
    ) -> JSON:
        """Creates or replaces a document: ``{"_id", "_version", "result": "created"|"updated"}``.

        ``if_match`` (a version, or ``"*"`` for any existing document) and ``create_only`` make
        it conditional: :class:`PreconditionFailed` (with ``current_version``) when it does not hold.
        """
        headers = _preconditions(if_match, create_only)
        answer = self.client._json("PUT", self._path(id), body=dict(document), headers=headers)
        return answer  # type: ignore[no-any-return]

    def insert(self, id: str, document: Mapping[str, Any]) -> JSON:
        """Creates a document that must not exist yet (else :class:`PreconditionFailed`)."""
        return self.put(id, document, create_only=True)

    def patch(self, id: str, patch: Mapping[str, Any], *, if_match: int | str | None = None) -> JSON:
        """Merges an RFC 7396 JSON Merge Patch into an existing document (``None`` removes a
        field); returns the document as written. :class:`NotFound` if it does not exist."""
        return self.client._json(  # type: ignore[no-any-return]
            "PATCH",
            self._path(id),
            body=dict(patch),
            content_type="application/merge-patch+json",
            headers=_preconditions(if_match, False),
        )

    def delete(self, id: str, *, if_match: int | str | None = None) -> JSON:
        """Deletes a document: ``{"_id", "_version", "result": "deleted"}``; :class:`NotFound` if none."""
        answer = self.client._json("DELETE", self._path(id), headers=_preconditions(if_match, False))
        return answer  # type: ignore[no-any-return]

    def list_documents(self, *, after: str | None = None, limit: int | None = None) -> Page:
        """One page of documents in ``_id`` order, after the id ``after``."""
        body = self.client._json("GET", self._path("_docs"), params={"after": after, "limit": limit})
        return Page(body["docs"], body.get("next"))

    def iter_documents(self, *, page_size: int = 1000) -> Iterator[JSON]:
        """Every document in ``_id`` order, a page at a time."""
        after: str | None = None
        while True:
            page = self.list_documents(after=after, limit=page_size)
            yield from page.documents
            if page.next is None:
                return
            after = page.next

    def bulk(self, items: Iterable[Mapping[str, Any]]) -> JSON:
        """Many writes in one request: ``{"op": "put"|"create"|"patch"|"delete", "id", "doc", "ifMatch"}``
        each (``op`` defaults to put; a put may carry its id as ``doc["_id"]``).

        Every item is checked before anything is written (one bad item: :class:`BadRequest`, nothing
        written). Returns ``{"items": [{"_id", "_version", "result", "status"} or {"_id", "status",
        "error"}], "errors": bool}``, one result per item in order; items fail on their own.
        """
        answer = self.client._json("POST", self._path("_bulk"), body=[dict(i) for i in items])
        return answer  # type: ignore[no-any-return]

    def put_many(self, documents: Iterable[Mapping[str, Any]]) -> JSON:
        """Creates or replaces documents that carry their ``_id`` (one bulk request)."""
        return self.bulk({"op": "put", "doc": dict(d)} for d in documents)

    # ---- queries

    def query(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        limit: int | None = None,
        after: str | None = None,
        hint: str | None = None,
        timeout_ms: int | None = None,
        explain: bool = False,
        **more: Any,
    ) -> JSON:
        """A JQL query: ``{"documents": [...], "next": cursor or None}`` (and ``"explain"``).

        ``sort`` is a list of paths (``"-year"`` descending), ``fields`` a projection, ``after``
        the ``next`` of the previous page; ``more`` adds other members of the query body as they are.
        """
        body: JSON = {}
        if filter is not None:
            body["filter"] = filter
        for key, value in (
            ("sort", sort),
            ("fields", fields),
            ("limit", limit),
            ("after", after),
            ("hint", hint),
            ("timeoutMs", timeout_ms),
        ):
            if value is not None:
                body[key] = list(value) if isinstance(value, (list, tuple)) else value
        if explain:
            body["explain"] = True
        body.update(more)
        return self.run_query(body)

    def run_query(self, body: Mapping[str, Any]) -> JSON:
        """Sends a JQL query body as it is (see README "Reference: the JSON query language")."""
        return self.client._json("POST", self._path("_query"), body=dict(body))  # type: ignore[no-any-return]

    def find(self, filter: Mapping[str, Any] | None = None, *, page_size: int = 1000, **query: Any) -> Iterator[JSON]:
        """Every document a query matches, following its pages."""
        after: str | None = None
        while True:
            answer = self.query(filter, limit=page_size, after=after, **query)
            yield from answer["documents"]
            after = answer.get("next")
            if after is None:
                return

    def count(self, filter: Mapping[str, Any] | None = None) -> int:
        """How many documents match ``filter``."""
        body: JSON = {"count": True}
        if filter is not None:
            body["filter"] = filter
        return self.run_query(body)["count"]  # type: ignore[no-any-return]

    def aggregate(
        self,
        metrics: Mapping[str, Any],
        *,
        group_by: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> list[JSON]:
        """Groups with metrics: ``[{"key": {...}, "<metric>": value, ...}]``."""
        aggregate: JSON = {"metrics": dict(metrics)}
        if group_by is not None:
            aggregate["groupBy"] = list(group_by)
        body: JSON = {"aggregate": aggregate}
        if filter is not None:
            body["filter"] = filter
        return self.run_query(body)["groups"]  # type: ignore[no-any-return]

    def distinct(self, path_: str, filter: Mapping[str, Any] | None = None) -> list[Any]:
        """The distinct values at a path (array elements count one by one), in value order."""
        body: JSON = {"distinct": path_}
        if filter is not None:
            body["filter"] = filter
        return self.run_query(body)["values"]  # type: ignore[no-any-return]

    def explain(self, filter: Mapping[str, Any] | None = None, **query: Any) -> JSON:
        """The plan of a query as each shard ran it, with its counters."""
        return self.query(filter, explain=True, **query)["explain"]  # type: ignore[no-any-return]

    # ---- secondary indexes

    def create_index(self, name: str, fields: Sequence[str | Mapping[str, str]]) -> JSON:
        """Creates an index over ``fields`` (``"year"``, ``"-year"`` or ``{"path", "order"}``),
        built in the background; the same index again is no error, another of that name is a
        :class:`Conflict`. Returns its state (``building`` at first) and progress."""
        body = {"fields": [f if isinstance(f, str) else dict(f) for f in fields]}
        return self.client._json("PUT", self._path("_indexes", name), body=body)  # type: ignore[no-any-return]

    def get_index(self, name: str) -> JSON:
        """An index's ``state`` (``building``, ``ready``, ``failed``) and ``progress`` (``indexed``
        of ``total``, ``fraction``), per shard too."""
        return self.client._json("GET", self._path("_indexes", name))  # type: ignore[no-any-return]

    def list_indexes(self) -> list[JSON]:
        return self.client._json("GET", self._path("_indexes"))["indexes"]  # type: ignore[no-any-return]

    def drop_index(self, name: str) -> JSON:
        return self.client._json("DELETE", self._path("_indexes", name))  # type: ignore[no-any-return]

    def wait_for_index(self, name: str, *, timeout: float = 60.0, poll: float = 0.1) -> JSON:
        """Waits until an index is ``ready``; raises :class:`LumaDBError` if it ``failed`` and
        :class:`TimeoutError` if it is still building after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            index = self.get_index(name)
            if index.get("state") == "ready":
                return index
            if index.get("state") == "failed":
                raise LumaDBError(0, "urn:lumadb:client:index-failed", "Index build failed", json.dumps(index))
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"index {name} still {index.get('state')} after {timeout:g} s: {index.get('progress')}"
                )
            time.sleep(poll)

    # ---- change stream and live queries

    def _changes_params(
        self, start: str | None, filter: Mapping[str, Any] | None, before: bool | None
    ) -> dict[str, str]:
        params: dict[str, str] = {}
        if start is not None:
            params["from"] = start
        if filter is not None:
            params["filter"] = json.dumps(filter, separators=(",", ":"))
        if before is not None:
            params["before"] = "true" if before else "false"
        return params

    def changes(
        self,
        start: str = "now",
        *,
        filter: Mapping[str, Any] | None = None,
        before: bool | None = None,
        reconnect: Reconnect | None = None,
    ) -> ChangeStream:
        """The change stream as a blocking iterator of :class:`~lumadb.Change`, resuming by itself.

        ``start`` is ``"now"``, ``"beginning"`` or a resume token (a change's ``token``, or the
        stream's :attr:`~lumadb.ChangeStream.token`). ``filter`` (JQL) selects changes on the node;
        ``before`` turns pre-images on or off for this subscriber. Nothing is sent until the first
        ``next()``; a failure of that first connection raises at once.
        """
        core = changes_core(
            self.client, self._path("_changes"), self._changes_params(start, filter, before), reconnect or Reconnect()
        )
        return ChangeStream(core)

    def changes_async(
        self,
        start: str = "now",
        *,
        filter: Mapping[str, Any] | None = None,
        before: bool | None = None,
        reconnect: Reconnect | None = None,
    ) -> AsyncChangeStream:
        """:meth:`changes` as an async iterator (``async for change in ...``), on asyncio."""
        core = changes_core(
            self.client, self._path("_changes"), self._changes_params(start, filter, before), reconnect or Reconnect()
        )
        return AsyncChangeStream(core)

    def pull_changes(
        self, start: str = "beginning", *, limit: int = 100, wait_ms: int = 0, filter: Mapping[str, Any] | None = None
    ) -> tuple[list[JSON], str]:
        """One page of the change stream by HTTP pull: ``(envelopes, next_token)``; with
        ``wait_ms`` it waits that long for a first change. Follow the token until a page is empty."""
        params: dict[str, Any] = {"from": start, "limit": limit, "wait": wait_ms}
        if filter is not None:
            params["filter"] = json.dumps(filter, separators=(",", ":"))
        answer = self.client.request(
            "GET", self._path("_changes"), params=params, headers={"Accept": "application/x-ndjson"}, parse=False
        )
        text = answer.body.decode("utf-8")
        envelopes = [json.loads(line) for line in text.splitlines() if line.strip()]
        return envelopes, answer.headers["lumadb-next-token"]

    def _live_params(
        self, filter: Mapping[str, Any] | None, sort: Sequence[str] | None, limit: int | None
    ) -> dict[str, str]:
        params: dict[str, str] = {}
        if filter is not None:
            params["filter"] = json.dumps(filter, separators=(",", ":"))
        if sort is not None:
            params["sort"] = json.dumps(list(sort))
        if limit is not None:
            params["limit"] = str(limit)
        return params

    def live(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[str] | None = None,
        limit: int | None = None,
        reconnect: Reconnect | None = None,
    ) -> LiveQuery:
        """A live query as a blocking iterator of :class:`~lumadb.LiveEvent`: the current result
        (``result`` events, then ``ready``), then ``added``, ``changed`` and ``removed``.

        After a disconnect it resumes from its last position without a new snapshot; a query
        with ``limit`` (a window kept on the node) starts again instead, announced by ``reset``.
        """
        params = self._live_params(filter, sort, limit)
        core = live_core(self.client, self._path("_live"), params, reconnect or Reconnect())
        return LiveQuery(core)

    def live_async(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[str] | None = None,
        limit: int | None = None,
        reconnect: Reconnect | None = None,
    ) -> AsyncLiveQuery:
        """:meth:`live` as an async iterator, on asyncio."""
        params = self._live_params(filter, sort, limit)
        core = live_core(self.client, self._path("_live"), params, reconnect or Reconnect())
        return AsyncLiveQuery(core)


def path(*segments: str) -> str:
    """``/api/v1/<segments>`` with each segment percent-encoded (ids may hold ``?``, ``#``, spaces)."""
    return "/api/v1/" + "/".join(quote(s, safe="") for s in segments)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _preconditions(if_match: int | str | None, create_only: bool) -> dict[str, str] | None:
    if if_match is not None and create_only:
        raise ValueError("if_match and create_only cannot be combined")
    if create_only:
        return {"If-None-Match": "*"}
    if if_match is None:
        return None
    if if_match == "*":
        return {"If-Match": "*"}
    return {"If-Match": f'"{int(if_match)}"'}
