#!/usr/bin/env node
// Generates the operation tables and types of both SDKs from the OpenAPI
// document the product serves (GET /api/v1/openapi.json):
//
//   node sdk/generate.mjs openapi.json           writes the generated files
//   node sdk/generate.mjs openapi.json --check   fails when they are stale
//
// sdk/sdk_test.go runs the check against a live server, so that a route added
// without its SDK method fails a test. Every operation under /api/v1/ becomes
// a method of the resource named by its first path segment; the rest of the
// document (the dashboard's pages, /metrics, the JWKS, /ws) is served by
// other means and listed in SKIPPED; the console's pages (HTML of the dashboard tag) are
// not API operations either.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [docPath, flag] = process.argv.slice(2);
if (!docPath) {
  console.error('usage: node sdk/generate.mjs openapi.json [--check]');
  process.exit(2);
}
const doc = JSON.parse(readFileSync(docPath, 'utf8'));

// Names the seed's examples use, where the rule below gives another.
const ALIASES = { currentTrustScore: 'getCurrentScore' };
// Not methods: the WebSocket stream has its own client (client.stream).
const SKIPPED = ['/ws', '/metrics', '/.well-known/jwks.json', '/', '/docs', '/assets/{name}'];
const VERBS = ['get', 'list', 'download', 'export'];

const camel = (s) => s.replace(/[-_](\w)/g, (_, c) => c.toUpperCase());
const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase();
const upper = (s) => s[0].toUpperCase() + s.slice(1);

// methodName is the operationId without its resource's name in front, and
// with "get" in front of a read that starts with no verb.
function methodName(resource, op, httpMethod) {
  if (ALIASES[op.operationId]) return ALIASES[op.operationId];
  let name = op.operationId;
  const prefix = camel(resource);
  if (name.startsWith(prefix) && name.length > prefix.length && /[A-Z]/.test(name[prefix.length])) {
    name = name[prefix.length].toLowerCase() + name.slice(prefix.length + 1);
  }
  if (httpMethod === 'get' && !VERBS.some((v) => name === v || name.startsWith(v) && /[A-Z]/.test(name[v.length] ?? ''))) {
    name = 'get' + upper(name);
  }
  return name;
}

const tsIdent = (n) => n.split(/[^A-Za-z0-9]+/).filter(Boolean).map(upper).join('');
const ref = (r) => r.$ref.split('/').pop();
const schemaOf = (s) => (s && s.$ref ? doc.components.schemas[ref(s)] : s);

function tsType(s, depth = 0) {
  if (!s) return 'unknown';
  if (s.$ref) return tsIdent(ref(s));
  let t;
  if (s.enum) t = s.enum.map((v) => JSON.stringify(v)).join(' | ');
  else if (s.oneOf || s.anyOf) t = (s.oneOf || s.anyOf).map((x) => tsType(x, depth + 1)).join(' | ');
  else if (s.type === 'array') t = `Array<${tsType(s.items, depth + 1)}>`;
  else if (s.type === 'integer' || s.type === 'number') t = 'number';
  else if (s.type === 'string') t = 'string';
  else if (s.type === 'boolean') t = 'boolean';
  else if (s.type === 'object' || s.properties) {
    if (s.properties && depth < 4) {
      const req = new Set(s.required || []);
      t = '{ ' + Object.entries(s.properties).map(([k, v]) => `${JSON.stringify(k)}${req.has(k) ? '' : '?'}: ${tsType(v, depth + 1)}`).join('; ') + ' }';
    } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      t = `Record<string, ${tsType(s.additionalProperties, depth + 1)}>`;
    } else t = 'Record<string, unknown>';
  } else t = 'unknown';
  return s.nullable ? `${t} | null` : t;
}

const doc1 = (s) => (s || '').replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();

// The operations, grouped by resource.
const resources = new Map();
const names = new Set();
for (const [path, item] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
  for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
    const op = item[m];
    if (!op) continue;
    if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json') {
      const page = (op.tags || []).includes('dashboard') && op.responses?.['200']?.content?.['text/html'];
      if (!SKIPPED.includes(path) && !page && path !== '/api/v1/openapi.json') throw new Error(`${m.toUpperCase()} ${path}: outside /api/v1 and not listed in SKIPPED`);
      continue;
    }
    const resource = path.split('/')[3];
    const name = methodName(resource, op, m);
    const key = `${resource}.${name}`;
    if (names.has(key)) throw new Error(`two operations are ${key}: give one an alias`);
    names.add(key);
    const params = op.parameters || [];
    const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name);
    const query = params.filter((p) => p.in === 'query');
    const content = op.requestBody?.content || {};
    const json = content['application/json'];
    const body = json ? schemaOf(json.schema) : null;
    const ok = op.responses?.['200'] || op.responses?.['201'] || op.responses?.['202'];
    const okJSON = ok?.content?.['application/json']?.schema;
    const data = okJSON?.properties?.data;
    const paged = query.some((q) => q.name === 'cursor');
    const raw = !!ok && !okJSON && !op.responses?.['204'];
    const spec = { method: m.toUpperCase(), path, pathParams, query: query.map((q) => q.name), body: !!json, paged, raw, envelope: !!data };
    if (!resources.has(resource)) resources.set(resource, []);
    resources.get(resource).push({ name, op, spec, query, body, data, okJSON, permission: op['x-permission'] });
  }
}

// ---- TypeScript ----
function tsArgs(e) {
  const fields = [];
  for (const p of e.spec.pathParams) fields.push(`  /** Path parameter. */\n  ${camel(p)}: string;`);
  for (const q of e.query) {
    if (q.name === 'cursor' || q.name === 'limit') continue;
    fields.push(`  /** ${doc1(q.description) || 'Query parameter.'} */\n  ${camel(q.name)}?: ${tsType(q.schema)};`);
  }
  if (e.body?.properties) {
    const req = new Set(e.body.required || []);
    for (const [k, v] of Object.entries(e.body.properties)) {
      if (e.spec.pathParams.includes(k)) continue;
      fields.push(`  /** ${doc1(v.description) || k} */\n  ${camel(k)}${req.has(k) ? '' : '?'}: ${tsType(v)};`);
    }
  }
  if (e.spec.paged) fields.push('  /** Page size. */\n  limit?: number;', '  /** Continue after this cursor. */\n  cursor?: string;');
  if (e.spec.body) fields.push('  /** Further fields, sent as they are (the server refuses what it does not know). */\n  [field: string]: unknown;');
  return fields;
}

function tsReturn(e) {
  if (e.spec.raw) return 'Promise<RawResponse>';
  if (e.spec.paged) return `PagePromise<${e.data?.items ? tsType(e.data.items) : 'unknown'}>`;
  if (e.data) return `Promise<${tsType(e.data)}>`;
  if (e.okJSON) return `Promise<${tsType(e.okJSON)}>`;
  return 'Promise<void>';
}

let ts = `// Code generated by sdk/generate.mjs from the served OpenAPI document (${doc.info.title} ${doc.info.version}). DO NOT EDIT.
/* eslint-disable */
import type { Operation, PagePromise, RawResponse, RequestOptions, Transport } from './core.js';

`;
for (const [name, s] of Object.entries(doc.components.schemas).sort(([a], [b]) => a.localeCompare(b))) {
  if (s.description) ts += `/** ${doc1(s.description)} */\n`;
  if (s.type === 'object' || s.properties) {
    const req = new Set(s.required || []);
    ts += `export interface ${tsIdent(name)} {\n`;
    for (const [k, v] of Object.entries(s.properties || {})) {
      if (v.description) ts += `  /** ${doc1(v.description)} */\n`;
      ts += `  ${JSON.stringify(k)}${req.has(k) ? '' : '?'}: ${tsType(v)};\n`;
    }
    if (s.additionalProperties) ts += `  [key: string]: unknown;\n`;
    ts += '}\n\n';
  } else {
    ts += `export type ${tsIdent(name)} = ${tsType(s)};\n\n`;
  }
}
ts += 'export const OPERATIONS = {\n';
for (const [r, ops] of resources) for (const e of ops) ts += `  ${JSON.stringify(r + '.' + e.name)}: ${JSON.stringify(e.spec)},\n`;
ts += '} satisfies Record<string, Operation>;\n\n';
for (const [r, ops] of resources) {
  const cls = upper(camel(r)) + 'Resource';
  for (const e of ops) {
    const fields = tsArgs(e);
    ts += `export interface ${upper(camel(r))}${upper(e.name)}Args {\n${fields.join('\n')}\n}\n\n`;
  }
  ts += `/** ${r}: ${ops.length} operations. */\nexport class ${cls} {\n  constructor(private readonly t: Transport) {}\n`;
  for (const e of ops) {
    const argsType = `${upper(camel(r))}${upper(e.name)}Args`;
    const required = e.spec.pathParams.length > 0 || (e.body?.required || []).length > 0;
    const call = e.spec.paged ? 'page' : 'call';
    ts += `\n  /** ${doc1(e.op.summary)} (\`${e.spec.method} ${e.spec.path}\`${e.permission ? `, ${e.permission}` : ''}) */\n`;
    ts += `  ${e.name}(args${required ? '' : '?'}: ${argsType}, options?: RequestOptions): ${tsReturn(e)} {\n`;
    ts += `    return this.t.${call}(OPERATIONS[${JSON.stringify(r + '.' + e.name)}], args ?? {}, options) as ${tsReturn(e)};\n  }\n`;
  }
  ts += '}\n\n';
}
ts += 'export class Resources {\n';
for (const r of resources.keys()) ts += `  readonly ${camel(r)}: ${upper(camel(r))}Resource;\n`;
ts += '  constructor(t: Transport) {\n';
for (const r of resources.keys()) ts += `    this.${camel(r)} = new ${upper(camel(r))}Resource(t);\n`;
ts += '  }\n}\n';

// ---- Python ----
const pyKeywords = new Set(['and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield']);
const pyName = (k) => (pyKeywords.has(snake(k)) ? snake(k) + '_' : snake(k));
const pyLit = (v) => JSON.stringify(v).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None');
let py = `# Code generated by sdk/generate.mjs from the served OpenAPI document (${doc.info.title} ${doc.info.version}). DO NOT EDIT.
"""The operations of the API, one method each, grouped by resource."""
from __future__ import annotations

from typing import Any

from ._core import UNSET, Page, RequestOptions, Resource

OPERATIONS: dict[str, dict[str, Any]] = {
`;
for (const [r, ops] of resources) for (const e of ops) py += `    ${JSON.stringify(r + '.' + e.name)}: ${pyLit(e.spec)},\n`;
py += '}\n\n';
for (const [r, ops] of resources) {
  const cls = upper(camel(r)) + 'Resource';
  py += `\nclass ${cls}(Resource):\n    """${r}: ${ops.length} operations."""\n`;
  for (const e of ops) {
    const params = [];
    for (const p of e.spec.pathParams) params.push(`${pyName(p)}: str`);
    const optional = [];
    for (const q of e.query) optional.push(pyName(q.name));
    if (e.body?.properties) for (const k of Object.keys(e.body.properties)) if (!e.spec.pathParams.includes(k)) optional.push(pyName(k));
    const sig = ['self', '*', ...params, ...[...new Set(optional)].map((k) => `${k}: Any = UNSET`)];
    sig.push('request_options: RequestOptions | None = None');
    if (e.spec.body) sig.push('**fields: Any');
    const argMap = [...e.spec.pathParams.map((p) => [p, pyName(p)]), ...e.query.map((q) => [q.name, pyName(q.name)]),
      ...(e.body?.properties ? Object.keys(e.body.properties).filter((k) => !e.spec.pathParams.includes(k)).map((k) => [k, pyName(k)]) : [])];
    const dict = '{' + [...new Map(argMap)].map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ') + '}';
    const fn = snake(e.name);
    const summary = doc1(e.op.summary).replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
    const perm = e.permission ? `, ${e.permission}` : '';
    if (e.spec.paged) {
      py += `\n    def ${fn}(${sig.join(', ')}) -> Page:\n        """${summary} (${e.spec.method} ${e.spec.path}${perm}).\n\n        Await it for the first page, or iterate over every item with \`async for\`.\n        """\n`;
      py += `        return self._page(OPERATIONS[${JSON.stringify(r + '.' + e.name)}], ${dict}, ${e.spec.body ? 'fields' : 'None'}, request_options)\n`;
    } else {
      py += `\n    async def ${fn}(${sig.join(', ')}) -> Any:\n        """${summary} (${e.spec.method} ${e.spec.path}${perm})."""\n`;
      py += `        return await self._call(OPERATIONS[${JSON.stringify(r + '.' + e.name)}], ${dict}, ${e.spec.body ? 'fields' : 'None'}, request_options)\n`;
    }
  }
}
py += '\n\nRESOURCES: dict[str, type[Resource]] = {\n';
for (const r of resources.keys()) py += `    ${JSON.stringify(snake(camel(r)))}: ${upper(camel(r))}Resource,\n`;
py += '}\n';

const outputs = [
  [join(here, 'typescript', 'src', 'generated.ts'), ts],
  [join(here, 'python', 'astra_bastion', '_generated.py'), py],
];
let stale = 0;
for (const [file, text] of outputs) {
  if (flag === '--check') {
    let old = '';
    try { old = readFileSync(file, 'utf8'); } catch {}
    if (old !== text) {
      stale++;
      console.error(`${file} is stale: run \`node sdk/generate.mjs <served openapi.json>\` (or ASTRA_SDK_WRITE=1 go test ./sdk/)`);
    }
  } else {
    writeFileSync(file, text);
  }
}
let count = 0;
for (const ops of resources.values()) count += ops.length;
console.log(`${count} operations in ${resources.size} resources${flag === '--check' ? (stale ? ', STALE' : ', up to date') : ', written'}`);
process.exit(stale ? 1 : 0);
