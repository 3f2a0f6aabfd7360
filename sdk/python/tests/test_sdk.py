"""Runs against a live `astra serve`: sdk/sdk_test.go starts one and sets
ASTRA_BASE_URL, ASTRA_API_KEY and ASTRA_ADMIN_TOKEN."""
import asyncio
import contextlib
import io
import json
import os
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from astra_bastion import (OPERATIONS, AstraBastion, AstraBastionSync, AuthenticationError,  # noqa: E402
                           BadRequestError, NotFoundError, PermissionDeniedError, RateLimitError)

BASE_URL = os.environ["ASTRA_BASE_URL"]
API_KEY = os.environ["ASTRA_API_KEY"]


class SeedExample(unittest.IsolatedAsyncioTestCase):
    async def test_seed_example_verbatim(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            client = AstraBastion(
                api_key=API_KEY,
                base_url=BASE_URL
            )
            # Proxy a chat completion
            response = await client.gateway.chat(
                provider="openai",
                model="gpt-4o",
                messages=[
                    {"role": "user", "content": "Hello"}
                ],
                policy_id="prod-policy-001"
            )
            # Check trust score
            score = await client.trust.get_current_score()
            print(f"Trust: {score.composite} ({score.grade})")
        await client.close()
        self.assertEqual(response.choices[0].message.content, "echo: Hello")
        self.assertRegex(out.getvalue(), r"^Trust: (\d+(\.\d+)?|None) \(([A-F][+-]?|unknown)\)")
        self.assertIn("composite", score)


class Resources(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.client = AstraBastion(api_key=API_KEY, base_url=BASE_URL)

    async def asyncTearDown(self):
        await self.client.close()

    async def test_every_operation_is_a_method(self):
        self.assertGreater(len(OPERATIONS), 100)
        for key in OPERATIONS:
            resource, method = key.split(".")
            snake = "".join("_" + c.lower() if c.isupper() else c for c in method)
            self.assertTrue(callable(getattr(getattr(self.client, resource.replace("-", "_")), snake)), key)

    async def test_pages(self):
        tag = f"sdk-py-{time.time_ns()}"
        for i in range(5):
            await self.client.risk.identify_risk(title=f"{tag} {i}", likelihood=3, impact=2, category=tag)
        first = await self.client.risk.list_risks(category=tag, limit=2)
        self.assertEqual(len(first.items), 2)
        self.assertTrue(first.has_more)
        self.assertEqual(first.total_count, 5)
        titles = [r.title async for r in self.client.risk.list_risks(category=tag, limit=2)]
        self.assertEqual(sorted(titles), [f"{tag} {i}" for i in range(5)])

    async def test_typed_errors(self):
        with self.assertRaises(NotFoundError) as e:
            await self.client.risk.get_risk(id="00000000-0000-4000-8000-000000000000")
        self.assertEqual(e.exception.status, 404)
        self.assertRegex(e.exception.error_code, r"^[A-Z]+-\d{3}$")
        self.assertTrue(e.exception.request_id)
        with self.assertRaises(BadRequestError) as e:
            await self.client.risk.identify_risk(title="x", likelihood=9, impact=1)
        self.assertEqual(e.exception.error_code, "VAL-001")
        with self.assertRaises(PermissionDeniedError):
            await self.client.admin.get_event_store_stats()
        forged = AstraBastion(api_key="ab_live_forged", base_url=BASE_URL)
        with self.assertRaises(AuthenticationError):
            await forged.trust.get_current_score()
        await forged.close()
        with self.assertRaises(TypeError):
            await self.client.risk.get_risk()  # the path parameter is required

    async def test_stream_resumes(self):
        sub = await self.client.stream.subscribe(["risk.*"])
        created = await self.client.risk.identify_risk(title="streamed", likelihood=2, impact=2)
        first = None
        async for e in sub:
            if e.get("data", {}).get("title") == "streamed" or created.id in (e.get("subject") or ""):
                first = e
                break
        await sub.close()
        await self.client.risk.identify_risk(title="while away", likelihood=2, impact=2)
        resumed = await self.client.stream.subscribe(["risk.*"], since=first.id)
        async for e in resumed:
            if e.get("data", {}).get("title") == "while away":
                break
        await resumed.close()


class Retries(unittest.IsolatedAsyncioTestCase):
    async def test_429_and_503_retried_with_one_idempotency_key(self):
        seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append(self.headers.get("Idempotency-Key"))
                if len(seen) == 1:
                    self.send_response(429)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "application/problem+json")
                    body = b'{"error_code":"RATE-001","status":429}'
                elif len(seen) == 2:
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    body = b""
                else:
                    self.send_response(201)
                    self.send_header("Content-Type", "application/json")
                    body = json.dumps({"data": {"id": "r1", "title": "ok"}, "meta": {}, "errors": None}).encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{srv.server_address[1]}"
            async with AstraBastion(api_key="k", base_url=url) as c:
                risk = await c.risk.identify_risk(title="ok", likelihood=1, impact=1)
            self.assertEqual(risk.title, "ok")
            self.assertEqual(len(seen), 3)
            self.assertTrue(seen[0])
            self.assertEqual(len(set(seen)), 1, "the same Idempotency-Key on every attempt")
            seen.clear()
            async with AstraBastion(api_key="k", base_url=url, max_retries=0) as c:
                with self.assertRaises(RateLimitError):
                    await c.risk.identify_risk(title="ok", likelihood=1, impact=1)
        finally:
            srv.shutdown()


class Sync(unittest.TestCase):
    def test_sync_wrapper(self):
        with AstraBastionSync(api_key=API_KEY, base_url=BASE_URL) as client:
            score = client.trust.get_current_score()
            self.assertIn("grade", score)
            risks = client.risk.list_risks(limit=1)
            self.assertIsInstance(risks, list)


if __name__ == "__main__":
    unittest.main()
