// Runs against a live `astra serve` (sdk/sdk_test.go starts one and sets
// ASTRA_BASE_URL, ASTRA_API_KEY and ASTRA_ADMIN_TOKEN).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import {
  AstraBastion, NotFoundError, PermissionDeniedError, AuthenticationError, BadRequestError, RateLimitError, OPERATIONS,
} from '../dist/index.js';

const baseUrl = process.env.ASTRA_BASE_URL;
const apiKey = process.env.ASTRA_API_KEY;
assert.ok(baseUrl && apiKey, 'ASTRA_BASE_URL and ASTRA_API_KEY are set by sdk/sdk_test.go');

test('the seed example runs verbatim: a gateway chat and the current trust score', async () => {
  const client = new AstraBastion({ apiKey: apiKey, baseUrl: baseUrl });
  // Proxy a chat completion
  const response = await client.gateway.chat({ provider: 'openai', model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }], policyId: 'prod-policy-001' });
  // Check trust score
  const score = await client.trust.getCurrentScore();
  console.log(`Trust: ${score.composite} (${score.grade})`);

  assert.equal(response.choices[0].message.content, 'echo: Hello');
  assert.ok('composite' in score, 'the current score carries composite');
  assert.equal(typeof score.grade, 'string');
});

test('every operation of the document is a method of its resource', () => {
  const client = new AstraBastion({ apiKey, baseUrl });
  const names = Object.keys(OPERATIONS);
  assert.ok(names.length > 100, `${names.length} operations`);
  for (const key of names) {
    const [resource, method] = key.split('.');
    const r = client[resource.replace(/-(\w)/g, (_, c) => c.toUpperCase())];
    assert.equal(typeof r?.[method], 'function', key);
  }
});

test('cursor pages: await the first page, iterate over every item', async () => {
  const client = new AstraBastion({ apiKey, baseUrl });
  const tag = `sdk-ts-${Date.now()}`;
  for (let i = 0; i < 5; i++) await client.risk.identifyRisk({ title: `${tag} ${i}`, likelihood: 3, impact: 2, category: tag });
  const first = await client.risk.listRisks({ category: tag, limit: 2 });
  assert.equal(first.items.length, 2);
  assert.equal(first.hasMore, true);
  assert.equal(first.totalCount, 5);
  assert.ok(first.cursor);
  const all = [];
  for await (const r of client.risk.listRisks({ category: tag, limit: 2 })) all.push(r.title);
  assert.deepEqual(all.sort(), [0, 1, 2, 3, 4].map((i) => `${tag} ${i}`));
});

test('typed errors carry error_code and request_id', async () => {
  const client = new AstraBastion({ apiKey, baseUrl });
  await assert.rejects(client.risk.getRisk({ id: '00000000-0000-4000-8000-000000000000' }), (e) => {
    assert.ok(e instanceof NotFoundError, e.constructor.name);
    assert.equal(e.status, 404);
    assert.match(e.errorCode, /^[A-Z]+-\d{3}$/);
    assert.ok(e.requestId);
    return true;
  });
  await assert.rejects(client.risk.identifyRisk({ title: 'x', likelihood: 9, impact: 1 }), (e) => e instanceof BadRequestError && e.errorCode === 'VAL-001');
  await assert.rejects(client.admin.getEventStoreStats(), PermissionDeniedError);
  await assert.rejects(new AstraBastion({ apiKey: 'ab_live_forged', baseUrl }).trust.getCurrentScore(), AuthenticationError);
});

test('429 and 503 are retried after Retry-After, with one idempotency key across attempts', async () => {
  const seen = [];
  const srv = createServer((req, res) => {
    seen.push({ method: req.method, key: req.headers['idempotency-key'] });
    if (seen.length === 1) { res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'application/problem+json' }); return res.end('{"error_code":"RATE-001","status":429}'); }
    if (seen.length === 2) { res.writeHead(503, { 'Retry-After': '0' }); return res.end(); }
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ data: { id: 'r1', title: 'ok' }, meta: { request_id: 'x' }, errors: null }));
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const client = new AstraBastion({ apiKey: 'k', baseUrl: `http://127.0.0.1:${srv.address().port}` });
    const risk = await client.risk.identifyRisk({ title: 'ok', likelihood: 1, impact: 1 });
    assert.equal(risk.title, 'ok');
    assert.equal(seen.length, 3);
    assert.ok(seen[0].key);
    assert.ok(seen.every((s) => s.key === seen[0].key), 'the same Idempotency-Key on every attempt');
    seen.length = 0;
    const none = new AstraBastion({ apiKey: 'k', baseUrl: `http://127.0.0.1:${srv.address().port}`, maxRetries: 0 });
    await assert.rejects(none.risk.identifyRisk({ title: 'ok', likelihood: 1, impact: 1 }), RateLimitError);
  } finally {
    srv.close();
  }
});

test('the live stream delivers events and resumes from the last one', async () => {
  const client = new AstraBastion({ apiKey, baseUrl });
  const sub = client.stream.subscribe({ channels: ['risk.*'] });
  await sub.ready;
  const created = await client.risk.identifyRisk({ title: 'streamed', likelihood: 2, impact: 2 });
  const it = sub[Symbol.asyncIterator]();
  let first;
  for (;;) {
    const { value } = await it.next();
    if (value.data?.title === 'streamed' || value.subject?.includes(created.id)) { first = value; break; }
  }
  sub.close();
  await client.risk.identifyRisk({ title: 'while away', likelihood: 2, impact: 2 });
  const resumed = client.stream.subscribe({ channels: ['risk.*'], since: first.id });
  for await (const e of resumed) {
    if (e.data?.title === 'while away') break;
  }
  resumed.close();
});
