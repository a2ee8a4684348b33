"""The remote client: SWEEnv's Gymnasium interface over the service's HTTP API.

Modules: ``env`` (:class:`RemoteSWEEnv`, :class:`ServiceClient`, the error kinds) and
``transport`` (:class:`KeepAliveTransport`, a lean keep-alive httpx transport).

Light on purpose: a trainer that only talks HTTP imports no tool, no task loader and
nothing that imports Docker (``tests/unit/test_server_client.py`` checks it).
"""

from __future__ import annotations

from swe_env.client.env import (
    MAX_ACTION_CHARS,
    REMOTE_RETRY,
    RemoteAuthError,
    RemoteError,
    RemoteInfraError,
    RemoteRequestError,
    RemoteStateError,
    RemoteSWEEnv,
    ServiceClient,
)
from swe_env.client.transport import KeepAliveTransport

__all__ = [
    "MAX_ACTION_CHARS",
    "REMOTE_RETRY",
    "KeepAliveTransport",
    "RemoteAuthError",
    "RemoteError",
    "RemoteInfraError",
    "RemoteRequestError",
    "RemoteSWEEnv",
    "RemoteStateError",
    "ServiceClient",
]
