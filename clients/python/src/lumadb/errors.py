"""Typed errors made from the node's ``application/problem+json`` answers.

Every refusal of a LumaDB node is an RFC 9457 problem document with a stable ``type``
(``urn:lumadb:problem:<slug>``), a ``title``, a ``detail`` and, where one part of the request
is to blame, a ``field`` (a JSON pointer into the body, or the name of a header or parameter).
:func:`error_from_problem` turns one into the subclass of :class:`LumaDBError` that its status
stands for, so callers can catch what they can handle::

    try:
        orders.put("o1", doc, if_match=3)
    except lumadb.PreconditionFailed as e:
        print("someone else wrote it; it is now at version", e.current_version)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "LumaDBError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "RequestTimeout",
    "Conflict",
    "Gone",
    "HistoryLost",
    "CollectionDropped",
    "PreconditionFailed",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unavailable",
    "Unreachable",
    "error_from_problem",
]

PROBLEM_PREFIX = "urn:lumadb:problem:"


class LumaDBError(Exception):
    """A request the node refused, or could not be made.

    Attributes:
        status: the HTTP status (0 when no answer came, see :class:`Unreachable`).
        type: the problem type, ``urn:lumadb:problem:<slug>`` (``slug`` holds the last part).
        title: a short human summary of the type.
        detail: what went wrong with this request.
        field: the offending part of the request: a JSON pointer into the body such as
            ``/filter/age/$gte``, or a header or parameter name; ``None`` if not one part.
        sql_state: the SQLSTATE of a failed SQL statement, else ``None``.
        problem: the whole problem document (extra members such as ``currentVersion``).
    """

    def __init__(
        self,
        status: int,
        type: str = "about:blank",
        title: str = "",
        detail: str | None = None,
        field: str | None = None,
        problem: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.field = field
        self.problem: dict[str, Any] = dict(problem or {})
        sql_state = self.problem.get("sqlState")
        self.sql_state: str | None = sql_state if isinstance(sql_state, str) else None
        message = f"{status} {title}" if status else title
        if detail:
            message += f": {detail}"
        if field:
            message += f" (at {field})"
        super().__init__(message)

    @property
    def slug(self) -> str:
        """The last part of :attr:`type`: ``precondition-failed``, ``invalid-query``, ..."""
        return self.type[len(PROBLEM_PREFIX) :] if self.type.startswith(PROBLEM_PREFIX) else self.type

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before trying again, when the node said (429 and 503)."""
        value = self.problem.get("retryAfter")
        return float(value) if isinstance(value, (int, float)) else None


class BadRequest(LumaDBError):
    """400: the request is malformed (bad JSON, name, query, header, schema violation, ...)."""


class Unauthorized(LumaDBError):
    """401: no credentials, or credentials the node does not accept."""


class Forbidden(LumaDBError):
    """403: the caller is known, but its roles do not allow this request."""


class NotFound(LumaDBError):
    """404: no such database, collection, document, index or route."""


class RequestTimeout(LumaDBError):
    """408: a query ran past its deadline (``query-timeout``) and was cancelled."""


class Conflict(LumaDBError):
    """409: the request contradicts what exists (another shard count, another index, ...)."""


class Gone(LumaDBError):
    """410: what the request names existed once and cannot be read any more."""


class HistoryLost(Gone):
    """410 ``history-lost``: journal retention dropped changes a resume position needs."""


class CollectionDropped(Gone):
    """410 ``collection-dropped``: the collection of a stream was dropped; the stream has ended."""


class PreconditionFailed(LumaDBError):
    """412: an ``If-Match``/``If-None-Match`` precondition did not hold.

    :attr:`current_version` is the document's version now (0 when it does not exist).
    """

    @property
    def current_version(self) -> int | None:
        value = self.problem.get("currentVersion")
        return value if isinstance(value, int) else None


class PayloadTooLarge(LumaDBError):
    """413: a document or request over the node's limit."""


class TooManyRequests(LumaDBError):
    """429: a rate limit or the number of open streams; see :attr:`retry_after`."""


class Unavailable(LumaDBError):
    """503: the node cannot answer now (a shard, its storage, too many connections).

    For a write the outcome is unknown: it may or may not have happened.
    """


class Unreachable(LumaDBError, ConnectionError):
    """No answer: the node could not be reached, or the connection broke before it answered.

    It is also a :class:`ConnectionError`. For a write sent before the connection broke the
    outcome is unknown.
    """

    def __init__(self, detail: str, url: str | None = None) -> None:
        self.url = url
        super().__init__(0, "urn:lumadb:client:unreachable", "Unreachable", detail)


_BY_STATUS: dict[int, type[LumaDBError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: RequestTimeout,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    429: TooManyRequests,
    503: Unavailable,
}

_BY_SLUG: dict[str, type[LumaDBError]] = {
    "history-lost": HistoryLost,
    "collection-dropped": CollectionDropped,
}


def error_from_problem(
    status: int, problem: Mapping[str, Any] | None, reason: str = "", retry_after: str | None = None
) -> LumaDBError:
    """The typed error for an answer with ``status`` and (possibly) a problem document.

    ``problem`` may be ``None`` or not a problem (a proxy's HTML page): the error then carries
    ``reason`` as its title. ``retry_after`` is the ``Retry-After`` header, if any.
    """
    doc: dict[str, Any] = dict(problem) if isinstance(problem, Mapping) else {}
    if retry_after is not None and "retryAfter" not in doc:
        try:
            doc["retryAfter"] = float(retry_after)
        except ValueError:
            pass
    type_: str = doc["type"] if isinstance(doc.get("type"), str) else "about:blank"
    slug = type_[len(PROBLEM_PREFIX) :] if type_.startswith(PROBLEM_PREFIX) else ""
    cls = _BY_SLUG.get(slug) or _BY_STATUS.get(status) or LumaDBError
    title = doc["title"] if isinstance(doc.get("title"), str) else reason
    detail = doc["detail"] if isinstance(doc.get("detail"), str) else None
    field = doc["field"] if isinstance(doc.get("field"), str) else None
    return cls(status, type_, title or "", detail, field, doc)
