// The live stream client: connects to /ws, authenticates, subscribes to a
// set of channel patterns (re-subscribing when it changes) and reconnects
// with exponential backoff when the connection drops.

/** A channel pattern the server accepts: "*", a name, or a name ending in ".*". */
export function validPattern(p) {
  if (p === '*') return true;
  if (p.length === 0 || p.length > 100 || !/^[a-z0-9._*]+$/.test(p)) return false;
  const stem = p.endsWith('.*') ? p.slice(0, -2) : p;
  return !stem.includes('*');
}

/** Whether a channel matches a pattern (the server's rule). */
export function matchChannel(pattern, channel) {
  if (pattern === '*' || pattern === channel) return true;
  if (pattern.endsWith('.*')) return channel.startsWith(pattern.slice(0, -1));
  return false;
}

/** The channel of a CloudEvents type: com.astra.gateway.RequestBlocked → gateway.request.blocked. */
export function channelOf(type) {
  const rest = String(type || '').replace(/^com\.astra\./, '');
  const dot = rest.indexOf('.');
  if (dot < 0) return rest.toLowerCase();
  const module = rest.slice(0, dot);
  const name = rest.slice(dot + 1);
  const words = name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+/g) || [name];
  if (words.length < 2) return `${module}.${name.toLowerCase()}`;
  const noun = words.slice(0, -1).join('_').toLowerCase();
  return `${module}.${noun}.${words[words.length - 1].toLowerCase()}`;
}

const MIN_BACKOFF = 500;
const MAX_BACKOFF = 30000;

export class LiveFeed {
  /**
   * @param {object} o
   * @param {() => string} o.token
   * @param {(ev: object) => void} o.onEvent CloudEvents as they arrive
   * @param {(state: string, detail: string, channels?: string[]) => void} o.onStatus
   *   state is connecting, live, reconnecting or error; channels (when live)
   *   are the patterns the server has subscribed
   * @param {() => void} o.onUnauthenticated the token was refused
   */
  constructor(o) {
    this.o = o;
    this.patterns = [];
    this.subscribed = [];
    this.ws = null;
    this.attempt = 0;
    this.timer = 0;
    this.stopped = true;
    this.ready = false;
  }

  start(patterns) {
    this.patterns = [...new Set(patterns)];
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, 'bye');
    }
    this.ws = null;
    this.ready = false;
  }

  connect() {
    clearTimeout(this.timer);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    this.ws = ws;
    this.ready = false;
    this.subscribed = [];
    this.o.onStatus('connecting', 'Connecting…');
    ws.onopen = () => ws.send(JSON.stringify({ type: 'authenticate', token: this.o.token() }));
    ws.onmessage = (m) => this.receive(m.data);
    ws.onerror = () => {}; // onclose follows and handles it
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (this.stopped) return;
      if (e.code === 4401) {
        this.o.onStatus('error', 'The stream refused the session.');
        this.o.onUnauthenticated();
        return;
      }
      if (e.code === 4403) {
        // Nothing left to read: reconnecting would be refused the same way.
        this.o.onStatus('error', 'Your permissions no longer allow reading the live stream.');
        return;
      }
      const delay = Math.min(MAX_BACKOFF, MIN_BACKOFF * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
      this.attempt++;
      this.o.onStatus('reconnecting', `Disconnected; reconnecting in ${Math.ceil(delay / 1000)} s…`);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  receive(raw) {
    let msg;
    try { msg = JSON.parse(raw); } catch { return; }
    if (msg.specversion) {
      this.o.onEvent(msg);
      return;
    }
    switch (msg.type) {
      case 'authenticated':
        this.attempt = 0;
        this.ready = true;
        this.sync();
        break;
      case 'subscribed':
      case 'unsubscribed':
        // The server's whole list after the change; this.subscribed stays what
        // was asked for, so that quick changes diff against the right set.
        // Channels the principal may not read come back under denied.
        this.o.onStatus('live', (msg.denied || []).map((d) => `${d.channel}: ${d.reason}`).join('; '), msg.channels || []);
        break;
      case 'error':
        this.o.onStatus('error', `${msg.code || 'error'}: ${msg.message || ''}`);
        break;
      default:
        break;
    }
  }

  /** Replaces the subscribed patterns; the server is told the difference. */
  setPatterns(patterns) {
    this.patterns = [...new Set(patterns)];
    if (this.ready) this.sync();
  }

  sync() {
    const want = this.patterns;
    const have = this.subscribed;
    const drop = have.filter((p) => !want.includes(p));
    const add = want.filter((p) => !have.includes(p));
    if (drop.length) this.send({ type: 'unsubscribe', channels: drop });
    if (add.length) this.send({ type: 'subscribe', channels: add });
    if (!drop.length && !add.length) this.o.onStatus('live', '', want);
    this.subscribed = [...want];
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }
}
