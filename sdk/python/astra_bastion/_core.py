"""The transport under every generated method: authentication, the envelope,
typed errors, retries with backoff and idempotency keys, cursor pages."""
from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Mapping, Optional
from urllib.parse import quote, urlencode

import aiohttp


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""An argument not given: left out of the request."""


class Obj(dict):
    """A JSON object whose members also read as attributes (score.composite)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _wrap(v: Any) -> Any:
    if isinstance(v, dict):
        return Obj((k, _wrap(x)) for k, x in v.items())
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    return v


@dataclass
class RequestOptions:
    """Per-request settings: extra headers, an idempotency key, a raw body."""

    headers: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: Optional[str] = None
    body: Optional[bytes] = None
    content_type: Optional[str] = None
    max_retries: Optional[int] = None


@dataclass
class RawResponse:
    """A non-JSON answer (a CSV export, an evidence file)."""

    status: int
    content_type: str
    headers: Mapping[str, str]
    data: bytes

    def text(self) -> str:
        return self.data.decode("utf-8")


class AstraError(Exception):
    """An error answer: RFC 7807 problem+json, or an OpenAI/Anthropic-shaped
    error on the drop-in routes. error_code is the product's code (docs/errors.md)."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str]):
        problem = body if isinstance(body, dict) else {}
        dialect = problem.get("error") if isinstance(problem.get("error"), dict) else {}
        self.status = status
        self.body = body
        self.headers = headers
        self.error_code = str(problem.get("error_code") or dialect.get("code") or dialect.get("type") or "")
        self.request_id = str(problem.get("request_id") or headers.get("X-Request-ID") or "")
        self.title = str(problem.get("title") or "")
        self.detail = str(problem.get("detail") or dialect.get("message") or (body if isinstance(body, str) else ""))
        head = f"{status} {self.error_code}".strip()
        super().__init__(f"{head}: {self.title}{' — ' if self.title and self.detail else ''}{self.detail}")


class BadRequestError(AstraError): pass
class AuthenticationError(AstraError): pass
class PermissionDeniedError(AstraError): pass
class NotFoundError(AstraError): pass
class ConflictError(AstraError): pass
class PreconditionFailedError(AstraError): pass
class PayloadTooLargeError(AstraError): pass
class UnprocessableEntityError(AstraError): pass
class RateLimitError(AstraError): pass
class InternalServerError(AstraError): pass
class ServiceUnavailableError(AstraError): pass


class APIConnectionError(Exception):
    """The server could not be reached, or did not answer in time."""


_BY_STATUS = {400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError,
              409: ConflictError, 412: PreconditionFailedError, 413: PayloadTooLargeError,
              422: UnprocessableEntityError, 429: RateLimitError, 503: ServiceUnavailableError}


def error_for(status: int, body: Any, headers: Mapping[str, str]) -> AstraError:
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else AstraError)
    return cls(status, body, headers)


def retry_delay(attempt: int, headers: Optional[Mapping[str, str]] = None) -> float:
    """Retry-After (seconds or a date) when given, else exponential backoff with jitter."""
    after = (headers or {}).get("Retry-After")
    if after:
        try:
            return min(max(float(after), 0.0), 60.0)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(after)
            if parsed is not None:
                return min(max(parsed.timestamp() - time.time(), 0.0), 60.0)
    return min(0.5 * 2 ** attempt, 8.0) * (0.75 + random.random() * 0.5)


@dataclass
class Page:
    """A list call: ``await`` it for the first page (items, has_more, cursor,
    total_count), or iterate over every item of every page with ``async for``."""

    _transport: "Transport"
    _op: Mapping[str, Any]
    _args: dict
    _options: Optional[RequestOptions]
    items: list = field(default_factory=list)
    has_more: bool = False
    cursor: str = ""
    total_count: Optional[int] = None
    total_count_estimated: bool = False
    request_id: str = ""

    async def _fetch(self, cursor: Optional[str]) -> "Page":
        args = dict(self._args)
        if cursor:
            args["cursor"] = cursor
        _, body = await self._transport.request(self._op, args, None, self._options)
        p = (body.get("meta") or {}).get("pagination") or {}
        return Page(self._transport, self._op, self._args, self._options, items=_wrap(body.get("data") or []),
                    has_more=bool(p.get("has_more")), cursor=p.get("cursor") or "", total_count=p.get("total_count"),
                    total_count_estimated=bool(p.get("total_count_estimated")),
                    request_id=(body.get("meta") or {}).get("request_id", ""))

    def __await__(self):
        return self._fetch(None).__await__()

    async def __aiter__(self) -> AsyncIterator[Any]:
        cursor = None
        while True:
            page = await self._fetch(cursor)
            for item in page.items:
                yield item
            if not page.has_more or not page.cursor:
                return
            cursor = page.cursor


class Transport:
    def __init__(self, *, base_url: str, api_key: Optional[str] = None, token: Optional[str] = None,
                 tenant_id: Optional[str] = None, max_retries: int = 2, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.api_key, self.token, self.tenant_id = api_key, token, tenant_id
        self.max_retries, self.timeout = max_retries, timeout
        self._session: Optional[aiohttp.ClientSession] = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def headers(self) -> dict:
        h = {"Accept": "application/json", "User-Agent": "astra-bastion-python/0.1"}
        if self.api_key:
            h["X-API-Key"] = self.api_key
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.tenant_id:
            h["X-Tenant-ID"] = self.tenant_id
        return h

    def build(self, op: Mapping[str, Any], args: dict, fields: Optional[dict]):
        rest = {k: v for k, v in args.items() if v is not UNSET}
        rest.update({k: v for k, v in (fields or {}).items() if v is not UNSET})
        path = op["path"]
        for p in op["pathParams"]:
            v = rest.pop(p, None)
            if v in (None, ""):
                raise TypeError(f"{op['method']} {op['path']}: the argument {p} is required")
            path = path.replace("{" + p + "}", quote(str(v), safe=""))
        query = []
        for name in op["query"]:
            if name in rest:
                v = rest.pop(name)
                for x in v if isinstance(v, (list, tuple)) else [v]:
                    query.append((name, x.isoformat() if hasattr(x, "isoformat") else
                                  ("true" if x is True else "false" if x is False else str(x))))
        if rest and not op["body"]:
            raise TypeError(f"{op['method']} {op['path']} takes no argument {', '.join(sorted(rest))}")
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        return url, (rest if op["body"] else None)

    async def request(self, op: Mapping[str, Any], args: dict, fields: Optional[dict],
                      options: Optional[RequestOptions]):
        """Sends op and returns (response headers, parsed body) — raising the typed error of a failure."""
        options = options or RequestOptions()
        url, body = self.build(op, args, fields)
        headers = {**self.headers(), **options.headers}
        data: Optional[bytes] = options.body
        if data is not None:
            if options.content_type:
                headers["Content-Type"] = options.content_type
        elif body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, default=_json_default).encode()
        if op["method"] != "GET":
            headers["Idempotency-Key"] = options.idempotency_key or str(uuid.uuid4())
        retries = self.max_retries if options.max_retries is None else options.max_retries
        attempt = 0
        while True:
            try:
                async with self.session().request(op["method"], url, data=data, headers=headers) as res:
                    raw = await res.read()
                    if res.status in (429, 503) and attempt < retries:
                        await asyncio.sleep(retry_delay(attempt, res.headers))
                        attempt += 1
                        continue
                    ctype = res.headers.get("Content-Type", "")
                    if res.status >= 400:
                        try:
                            parsed: Any = json.loads(raw)
                        except ValueError:
                            parsed = raw.decode("utf-8", "replace")
                        raise error_for(res.status, parsed, res.headers)
                    if op.get("raw"):
                        return res.headers, RawResponse(res.status, ctype, dict(res.headers), raw)
                    if res.status == 204 or not raw:
                        return res.headers, None
                    if ctype.startswith("text/event-stream"):
                        return res.headers, _sse(raw)
                    return res.headers, json.loads(raw)
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as e:
                if attempt < retries:
                    await asyncio.sleep(retry_delay(attempt))
                    attempt += 1
                    continue
                raise APIConnectionError(f"{op['method']} {url}: {e}") from e


def _sse(raw: bytes) -> list:
    """The JSON of each `data:` event of a Server-Sent Events answer, until [DONE]."""
    out = []
    for event in raw.decode("utf-8").split("\n\n"):
        data = "\n".join(line[5:].lstrip() for line in event.split("\n") if line.startswith("data:"))
        if not data:
            continue
        if data == "[DONE]":
            break
        out.append(_wrap(json.loads(data)))
    return out


def _json_default(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")


class Resource:
    """A group of operations (client.gateway, client.trust, …)."""

    def __init__(self, transport: Transport):
        self._t = transport

    async def _call(self, op: Mapping[str, Any], args: dict, fields: Optional[dict],
                    options: Optional[RequestOptions]) -> Any:
        _, body = await self._t.request(op, args, fields, options)
        if op.get("envelope") and isinstance(body, dict):
            return _wrap(body.get("data"))
        return _wrap(body) if not isinstance(body, RawResponse) else body

    def _page(self, op: Mapping[str, Any], args: dict, fields: Optional[dict],
              options: Optional[RequestOptions]) -> Page:
        return Page(self._t, op, {**args, **(fields or {})}, options)
