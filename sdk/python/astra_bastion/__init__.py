"""astra_bastion: the ASTRA BASTION API for Python (asyncio, with a sync wrapper).

    from astra_bastion import AstraBastion
    client = AstraBastion(api_key="ab_live_...", base_url="https://astra.example.com")
    response = await client.gateway.chat(provider="openai", model="gpt-4o",
                                         messages=[{"role": "user", "content": "Hello"}], policy_id="prod-policy-001")
    score = await client.trust.get_current_score()
    print(f"Trust: {score.composite} ({score.grade})")
"""
from __future__ import annotations

import asyncio
import os
from typing import Any, Optional

from ._core import (UNSET, APIConnectionError, AstraError, AuthenticationError, BadRequestError, ConflictError,
                    InternalServerError, NotFoundError, Obj, Page, PayloadTooLargeError, PermissionDeniedError,
                    PreconditionFailedError, RateLimitError, RawResponse, RequestOptions, ServiceUnavailableError,
                    Transport, UnprocessableEntityError)
from ._generated import OPERATIONS, RESOURCES
from ._stream import StreamClient, Subscription

__all__ = ["AstraBastion", "AstraBastionSync", "AstraError", "BadRequestError", "AuthenticationError",
           "PermissionDeniedError", "NotFoundError", "ConflictError", "PreconditionFailedError", "PayloadTooLargeError",
           "UnprocessableEntityError", "RateLimitError", "InternalServerError", "ServiceUnavailableError",
           "APIConnectionError", "RequestOptions", "RawResponse", "Page", "Obj", "Subscription", "OPERATIONS", "UNSET"]
__version__ = "0.1.0"


class AstraBastion:
    """The asyncio client: one attribute per resource (client.gateway, client.trust, …) and client.stream.
    Use it as ``async with AstraBastion(...) as client`` or call ``await client.close()``."""

    def __init__(self, api_key: Optional[str] = None, base_url: Optional[str] = None, *, token: Optional[str] = None,
                 tenant_id: Optional[str] = None, max_retries: int = 2, timeout: float = 60.0):
        self._transport = Transport(base_url=base_url or os.environ.get("ASTRA_BASE_URL", "http://127.0.0.1:8080"),
                                    api_key=api_key or os.environ.get("ASTRA_API_KEY"), token=token,
                                    tenant_id=tenant_id, max_retries=max_retries, timeout=timeout)
        for name, cls in RESOURCES.items():
            setattr(self, name, cls(self._transport))
        self.stream = StreamClient(self._transport)

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "AstraBastion":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class _SyncResource:
    def __init__(self, loop: asyncio.AbstractEventLoop, resource: Any):
        self._loop, self._resource = loop, resource

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._resource, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if isinstance(result, Page):
                return self._loop.run_until_complete(_collect(result))
            return self._loop.run_until_complete(result)
        call.__doc__ = method.__doc__
        return call


async def _collect(page: Page) -> list:
    return [item async for item in page]


class AstraBastionSync:
    """The same client for code without an event loop; list methods return every item of every page."""

    def __init__(self, *args: Any, **kwargs: Any):
        self._loop = asyncio.new_event_loop()
        self._client = AstraBastion(*args, **kwargs)
        for name in RESOURCES:
            setattr(self, name, _SyncResource(self._loop, getattr(self._client, name)))

    def close(self) -> None:
        self._loop.run_until_complete(self._client.close())
        self._loop.close()

    def __enter__(self) -> "AstraBastionSync":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
