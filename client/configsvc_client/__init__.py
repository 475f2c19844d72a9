"""configsvc's Python client: read a configuration by names, follow its changes, keep running from
a last-known-good copy while the service is away, and write safely with ETags (SPEC §13)."""

from configsvc_client.async_client import AsyncClient
from configsvc_client.errors import (
    ConfigsvcError,
    Conflict,
    NotFound,
    PreconditionFailed,
    Rejected,
    Unauthorized,
    Unavailable,
)
from configsvc_client.models import Application, Revision, Snapshot
from configsvc_client.request_builder import VERSION as __version__
from configsvc_client.sync_client import Client
from configsvc_client.writes import KEEP

__all__ = [
    "KEEP",
    "Application",
    "AsyncClient",
    "Client",
    "ConfigsvcError",
    "Conflict",
    "NotFound",
    "PreconditionFailed",
    "Rejected",
    "Revision",
    "Snapshot",
    "Unauthorized",
    "Unavailable",
    "__version__",
]
