// The live event stream (/ws): authenticate, subscribe to channels, and
// resume after a dropped connection from the last event seen (`since`).

import { ConnectionError } from './core.js';

/** A CloudEvents 1.0 event as the stream delivers it. */
export interface StreamEvent {
  id: string;
  type: string;
  source: string;
  subject?: string;
  time?: string;
  data?: any;
  [attribute: string]: unknown;
}

export interface SubscribeOptions {
  /** Channels such as trust.score.updated, or wildcards like gateway.*. */
  channels: string[];
  /** Replay the tenant's events after this event id first. */
  since?: string;
  /** Reconnect (resuming from the last event) when the connection drops; true by default. */
  reconnect?: boolean;
  signal?: AbortSignal;
}

type WS = { new (url: string): any };

/**
 * A subscription: iterate over its events with `for await`; close() ends it.
 * `ready` resolves once the server confirmed the subscription.
 */
export class Subscription implements AsyncIterable<StreamEvent> {
  private queue: StreamEvent[] = [];
  private waiting: ((r: IteratorResult<StreamEvent>) => void) | null = null;
  private failed: ((e: Error) => void) | null = null;
  private error: Error | null = null;
  private closed = false;
  private socket: any = null;
  private attempts = 0;
  /** The id of the last event received: where a reconnection resumes. */
  lastEventId: string | undefined;
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;

  constructor(private readonly url: string, private readonly credential: string, private readonly Socket: WS, private readonly opts: SubscribeOptions) {
    this.lastEventId = opts.since;
    this.ready = new Promise((ok, no) => { this.resolveReady = ok; this.rejectReady = no; });
    this.ready.catch(() => {});
    opts.signal?.addEventListener('abort', () => this.close());
    this.connect();
  }

  private connect() {
    const ws = new this.Socket(this.url);
    this.socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'authenticate', token: this.credential }));
    ws.onmessage = (m: { data: unknown }) => {
      const msg = JSON.parse(String(m.data));
      switch (msg.type) {
        case 'authenticated':
          ws.send(JSON.stringify({ type: 'subscribe', channels: this.opts.channels, ...(this.lastEventId ? { since: this.lastEventId } : {}) }));
          return;
        case 'subscribed':
          this.attempts = 0;
          this.resolveReady();
          return;
        case 'error':
          this.fail(new ConnectionError(`stream: ${msg.code}: ${msg.message}`));
          ws.close();
          return;
      }
      if (msg.specversion) {
        this.lastEventId = msg.id;
        this.push(msg as StreamEvent);
      }
    };
    ws.onclose = () => {
      if (this.closed || this.error) return;
      if (this.opts.reconnect === false) return this.fail(new ConnectionError('stream: connection closed'));
      const delay = Math.min(250 * 2 ** this.attempts++, 5_000);
      setTimeout(() => !this.closed && this.connect(), delay);
    };
  }

  private push(e: StreamEvent) {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.failed = null;
      w({ value: e, done: false });
    } else this.queue.push(e);
  }

  private fail(e: Error) {
    this.error = e;
    this.rejectReady(e);
    if (this.failed) {
      const f = this.failed;
      this.waiting = this.failed = null;
      f(e);
    }
  }

  close() {
    this.closed = true;
    this.socket?.close();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.failed = null;
      w({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    return {
      next: () => {
        if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
        if (this.error) return Promise.reject(this.error);
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((ok, no) => { this.waiting = ok; this.failed = no; });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

export class StreamClient {
  constructor(private readonly baseUrl: string, private readonly credential: () => string, private readonly Socket: unknown) {}

  /** Subscribes to channels of the live stream. */
  subscribe(options: SubscribeOptions): Subscription {
    const Socket = (this.Socket ?? (globalThis as any).WebSocket) as WS | undefined;
    if (!Socket) throw new TypeError('no WebSocket: pass ClientOptions.WebSocket (Node 20 needs --experimental-websocket)');
    return new Subscription(this.baseUrl.replace(/^http/, 'ws') + '/ws', this.credential(), Socket, options);
  }
}
