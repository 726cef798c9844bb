"""LumaDB for Python: documents, queries, indexes, SQL, change streams and live queries.

Standard library only. A few lines::

    import lumadb

    client = lumadb.Client("http://127.0.0.1:8080", api_key="luma_...")
    orders = client.collection("shop", "orders")
    orders.put("o1", {"total": 120})
    for change in orders.changes("beginning"):
        print(change.op, change.id, change.after)

See the README of this package for more.
"""

from ._version import __version__
from .client import Client, Collection, Database, Page, Response
from .errors import (
    BadRequest,
    CollectionDropped,
    Conflict,
    Forbidden,
    Gone,
    HistoryLost,
    LumaDBError,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RequestTimeout,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    Unreachable,
)
from .streams import (
    AsyncChangeStream,
    AsyncLiveQuery,
    Change,
    ChangeStream,
    LiveEvent,
    LiveQuery,
    Reconnect,
)

__all__ = [
    "__version__",
    "Client",
    "Database",
    "Collection",
    "Page",
    "Response",
    "Change",
    "LiveEvent",
    "Reconnect",
    "ChangeStream",
    "AsyncChangeStream",
    "LiveQuery",
    "AsyncLiveQuery",
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
]
