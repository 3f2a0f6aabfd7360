// A small client of the ASTRA BASTION API: JSON in, the envelope's data out,
// RFC 7807 problems as APIError.

const TOKEN_KEY = 'astra.access_token';

export class APIError extends Error {
  constructor(status, message, code) {
    super(message);
    this.name = 'APIError';
    this.status = status;
    this.code = code || '';
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ''; },
  set token(v) {
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class API {
  /**
   * @param {() => string} token returns the current access token
   * @param {() => void} onUnauthorized called when the API answers 401
   */
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, body) {
    const headers = { Accept: 'application/json' };
    const tok = this.token();
    if (tok) headers.Authorization = `Bearer ${tok}`;
    const init = { method, headers };
    if (body instanceof FormData) {
      init.body = body; // multipart: the browser writes the boundary into Content-Type
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      throw new APIError(0, 'The server cannot be reached.', 'NETWORK');
    }
    const text = await res.text();
    let json = null;
    if (text) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
    if (!res.ok) {
      if (res.status === 401 && tok && this.onUnauthorized) this.onUnauthorized();
      const msg = (json && (json.detail || json.title)) || `${res.status} ${res.statusText}`;
      throw new APIError(res.status, msg, json && json.error_code);
    }
    return json;
  }

  async data(method, path, body) {
    const json = await this.request(method, path, body);
    return json ? json.data : null;
  }

  get(path) { return this.data('GET', path); }
  post(path, body) { return this.data('POST', path, body); }

  async login(email, password) {
    const json = await this.request('POST', '/api/v1/auth/login', { email, password });
    return json.data;
  }
}

/** sha256 is the SHA-256 of a blob in hex, or '' where the browser cannot compute it (not a secure context). */
export async function sha256(blob) {
  if (!globalThis.crypto || !crypto.subtle) return '';
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return [...sum].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** problemOf turns a failed answer fetched without the client (a download, a stream) into an APIError with the problem's detail. */
export async function problemOf(res) {
  let msg = `${res.status} ${res.statusText}`;
  let code = '';
  try {
    const p = await res.json();
    msg = p.detail || p.title || msg;
    code = p.error_code || '';
  } catch { /* not JSON */ }
  return new APIError(res.status, msg, code);
}
