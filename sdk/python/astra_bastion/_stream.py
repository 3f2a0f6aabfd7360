"""The live event stream (/ws): authenticate, subscribe to channels, and
resume after a dropped connection from the last event seen (``since``)."""
from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Optional, Sequence

import aiohttp

from ._core import APIConnectionError, Transport, _wrap


class Subscription:
    """Iterate over the events with ``async for``; ``close()`` ends it.
    ``last_event_id`` is where a reconnection resumes."""

    def __init__(self, transport: Transport, credential: str, channels: Sequence[str],
                 since: Optional[str], reconnect: bool):
        self._t, self._credential, self._channels = transport, credential, list(channels)
        self.last_event_id = since
        self._reconnect = reconnect
        self._ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self._closed = False

    async def _connect(self) -> None:
        url = self._t.base_url.replace("http", "ws", 1) + "/ws"
        ws = await self._t.session().ws_connect(url)
        await ws.send_json({"type": "authenticate", "token": self._credential})
        await self._expect(ws, "authenticated")
        sub: dict[str, Any] = {"type": "subscribe", "channels": self._channels}
        if self.last_event_id:
            sub["since"] = self.last_event_id
        await ws.send_json(sub)
        await self._expect(ws, "subscribed")
        self._ws = ws

    async def _expect(self, ws: aiohttp.ClientWebSocketResponse, kind: str) -> None:
        msg = json.loads(await ws.receive_str())
        if msg.get("type") != kind:
            await ws.close()
            raise APIConnectionError(f"stream: {msg.get('code', '')}: {msg.get('message', msg)}")

    async def start(self) -> "Subscription":
        await self._connect()
        return self

    async def close(self) -> None:
        self._closed = True
        if self._ws is not None:
            await self._ws.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        attempt = 0
        while not self._closed:
            if self._ws is None or self._ws.closed:
                if not self._reconnect and self._ws is not None:
                    raise APIConnectionError("stream: connection closed")
                try:
                    await self._connect()
                    attempt = 0
                except (aiohttp.ClientError, OSError):
                    await asyncio.sleep(min(0.25 * 2 ** attempt, 5.0))
                    attempt += 1
                    continue
            msg = await self._ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(msg.data)
            if event.get("type") == "error":
                raise APIConnectionError(f"stream: {event.get('code')}: {event.get('message')}")
            if "specversion" in event:
                self.last_event_id = event["id"]
                yield _wrap(event)


class StreamClient:
    def __init__(self, transport: Transport):
        self._t = transport

    async def subscribe(self, channels: Sequence[str], *, since: Optional[str] = None,
                        reconnect: bool = True) -> Subscription:
        """Subscribes to channels (``trust.score.updated``, ``gateway.*``), replaying after ``since`` first."""
        credential = self._t.token or self._t.api_key
        if not credential:
            raise TypeError("the stream needs an api_key or a token")
        return await Subscription(self._t, credential, channels, since, reconnect).start()
