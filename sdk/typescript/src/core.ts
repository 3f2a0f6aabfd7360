// The transport under every generated method: authentication, the envelope,
// typed errors, retries with backoff and idempotency keys, cursor pages.

/** One operation of the API, as generated from the OpenAPI document. */
export interface Operation {
  method: string;
  path: string;
  pathParams: readonly string[];
  query: readonly string[];
  body: boolean;
  paged: boolean;
  raw: boolean;
  envelope: boolean;
}

export interface RequestOptions {
  /** Extra headers for this request. */
  headers?: Record<string, string>;
  /** Sent as the Idempotency-Key of a write (one is generated otherwise, and kept across retries). */
  idempotencyKey?: string;
  /** A body sent as it is, instead of JSON built from the arguments (an OSCAL document, a FormData upload). */
  body?: BodyInit;
  /** The Content-Type of `body`. */
  contentType?: string;
  /** Retries of this request on 429 and 503 (the client's maxRetries otherwise). */
  maxRetries?: number;
  signal?: AbortSignal;
}

/** A non-JSON answer (a CSV export, an evidence file). */
export interface RawResponse {
  status: number;
  contentType: string;
  headers: Headers;
  data: Uint8Array;
  text(): string;
}

export interface ClientOptions {
  /** An API key (sent as X-API-Key). */
  apiKey?: string;
  /** An access token (sent as Authorization: Bearer). */
  token?: string;
  /** The server, e.g. https://astra.example.com (without /api/v1). */
  baseUrl?: string;
  /** Acts in this tenant (X-Tenant-ID), for a platform admin. */
  tenantId?: string;
  /** Retries on 429 and 503; 2 by default. */
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds; 60 s by default. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The WebSocket constructor for client.stream (globalThis.WebSocket by default). */
  WebSocket?: unknown;
}

/** An error answer: RFC 7807 problem+json, or an OpenAI/Anthropic-shaped error on the drop-in routes. */
export class AstraError extends Error {
  readonly status: number;
  /** The product's error code, e.g. GW-003 (docs/errors.md). */
  readonly errorCode: string;
  readonly requestId: string;
  readonly title: string;
  readonly detail: string;
  readonly body: unknown;
  readonly headers: Headers;
  constructor(status: number, body: any, headers: Headers) {
    const problem = body && typeof body === 'object' ? body : {};
    const dialect = problem.error && typeof problem.error === 'object' ? problem.error : null;
    const detail = String(problem.detail ?? dialect?.message ?? (typeof body === 'string' ? body : '') ?? '');
    const code = String(problem.error_code ?? dialect?.code ?? dialect?.type ?? '');
    super(`${status}${code ? ' ' + code : ''}: ${problem.title ? problem.title + (detail ? ' — ' : '') : ''}${detail}`);
    this.name = new.target.name;
    this.status = status;
    this.errorCode = code;
    this.requestId = String(problem.request_id ?? headers.get('x-request-id') ?? '');
    this.title = String(problem.title ?? '');
    this.detail = detail;
    this.body = body;
    this.headers = headers;
  }
}
export class BadRequestError extends AstraError {}
export class AuthenticationError extends AstraError {}
export class PermissionDeniedError extends AstraError {}
export class NotFoundError extends AstraError {}
export class ConflictError extends AstraError {}
export class PreconditionFailedError extends AstraError {}
export class PayloadTooLargeError extends AstraError {}
export class UnprocessableEntityError extends AstraError {}
export class RateLimitError extends AstraError {}
export class InternalServerError extends AstraError {}
export class ServiceUnavailableError extends AstraError {}
/** The server could not be reached, or did not answer in time. */
export class ConnectionError extends Error {}

const byStatus: Record<number, typeof AstraError> = {
  400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError, 409: ConflictError,
  412: PreconditionFailedError, 413: PayloadTooLargeError, 422: UnprocessableEntityError, 429: RateLimitError, 503: ServiceUnavailableError,
};

export function errorFor(status: number, body: unknown, headers: Headers): AstraError {
  const E = byStatus[status] ?? (status >= 500 ? InternalServerError : AstraError);
  return new E(status, body, headers);
}

/** A page of a list, with the cursor to the next. */
export interface Page<T> {
  items: T[];
  hasMore: boolean;
  /** Empty on the last page. */
  cursor: string;
  totalCount?: number;
  totalCountEstimated: boolean;
  requestId: string;
}

/**
 * A list call: await it for the first page, or iterate over every item of
 * every page with `for await`.
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  constructor(private readonly fetchPage: (cursor?: string) => Promise<Page<T>>) {}
  then<A = Page<T>, B = never>(ok?: ((p: Page<T>) => A | PromiseLike<A>) | null, no?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.fetchPage().then(ok, no);
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield* page.items;
      if (!page.hasMore || !page.cursor) return;
      cursor = page.cursor;
    }
  }
}

const snake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** retryDelay honours Retry-After (seconds or a date), else backs off exponentially with jitter. */
export function retryDelay(attempt: number, headers?: Headers): number {
  const after = headers?.get('retry-after');
  if (after) {
    const s = Number(after);
    const ms = Number.isFinite(s) ? s * 1000 : Date.parse(after) - Date.now();
    if (ms >= 0) return Math.min(ms, 60_000);
  }
  return Math.min(500 * 2 ** attempt, 8_000) * (0.75 + Math.random() * 0.5);
}

export class Transport {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  constructor(readonly options: ClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Builds the URL and the body of op from the arguments (top-level keys may be camelCase). */
  private build(op: Operation, args: object) {
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (v !== undefined) rest[snake(k)] = v;
    let path = op.path;
    for (const p of op.pathParams) {
      const v = rest[p];
      if (v === undefined || v === null || v === '') throw new TypeError(`${op.method} ${op.path}: the argument ${p} is required`);
      path = path.replace(`{${p}}`, encodeURIComponent(String(v)));
      delete rest[p];
    }
    const q = new URLSearchParams();
    for (const name of op.query) {
      if (!(name in rest)) continue;
      const v = rest[name];
      delete rest[name];
      for (const x of Array.isArray(v) ? v : [v]) q.append(name, x instanceof Date ? x.toISOString() : String(x));
    }
    const extra = Object.keys(rest);
    if (!op.body && extra.length) throw new TypeError(`${op.method} ${op.path} takes no argument ${extra.join(', ')}`);
    const qs = q.toString();
    return { url: this.baseUrl + path + (qs ? '?' + qs : ''), body: op.body ? rest : undefined };
  }

  async request(op: Operation, args: object, options: RequestOptions = {}): Promise<Response> {
    const { url, body } = this.build(op, args);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'astra-bastion-typescript/0.1', ...options.headers };
    if (this.options.apiKey) headers['X-API-Key'] = this.options.apiKey;
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    if (this.options.tenantId) headers['X-Tenant-ID'] = this.options.tenantId;
    let payload: BodyInit | undefined = options.body;
    if (payload !== undefined) {
      if (options.contentType) headers['Content-Type'] = options.contentType;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (op.method !== 'GET') headers['Idempotency-Key'] = options.idempotencyKey ?? crypto.randomUUID();
    const retries = options.maxRetries ?? this.options.maxRetries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await this.fetch(url, { method: op.method, headers, body: payload, signal });
      } catch (e) {
        if (attempt < retries && !options.signal?.aborted) {
          await sleep(retryDelay(attempt));
          continue;
        }
        throw new ConnectionError(`${op.method} ${url}: ${(e as Error).message}`, { cause: e });
      }
      if ((res.status === 429 || res.status === 503) && attempt < retries) {
        await res.body?.cancel();
        await sleep(retryDelay(attempt, res.headers));
        continue;
      }
      if (!res.ok) {
        const text = await res.text();
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch {}
        throw errorFor(res.status, parsed, res.headers);
      }
      return res;
    }
  }

  async call(op: Operation, args: object, options?: RequestOptions): Promise<unknown> {
    const res = await this.request(op, args, options);
    if ((args as { stream?: unknown }).stream === true && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return sse(res);
    if (op.raw) {
      const data = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers, data, text: () => new TextDecoder().decode(data) };
    }
    if (res.status === 204) return undefined;
    const json: any = await res.json();
    return op.envelope ? json.data : json;
  }

  page<T>(op: Operation, args: object, options?: RequestOptions): PagePromise<T> {
    return new PagePromise<T>(async (cursor) => {
      const res = await this.request(op, cursor ? { ...args, cursor } : args, options);
      const json: any = await res.json();
      const p = json.meta?.pagination ?? {};
      return {
        items: json.data ?? [], hasMore: !!p.has_more, cursor: p.cursor ?? '', totalCount: p.total_count,
        totalCountEstimated: !!p.total_count_estimated, requestId: json.meta?.request_id ?? '',
      };
    });
  }
}

/** sse yields the JSON of each `data:` event of a Server-Sent Events answer, until [DONE]. */
async function* sse(res: Response): AsyncGenerator<unknown> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (!data) continue;
      if (data === '[DONE]') return;
      yield JSON.parse(data);
    }
  }
}
