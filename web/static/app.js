// The ASTRA BASTION dashboard: sign-in, trust score and pillars, score
// history, the live event feed, the gateway kill switch, the risk register,
// and AEGIS's agents and alerts (aegis.js). Plain JavaScript modules, no framework, no build step.

import { mountAegis } from './aegis.js';
import { MODULES, mountConsole } from './console.js';
import { API, APIError, session } from './api.js';
import { lineChart, lossExceedanceChart, money } from './charts.js';
import { LiveFeed, channelOf, matchChannel, validPattern } from './feed.js';

const $ = (id) => document.getElementById(id);

const PILLARS = [
  ['security', 'Security'],
  ['compliance', 'Compliance'],
  ['risk', 'Risk'],
  ['resilience', 'Resilience'],
  ['ai_governance', 'AI governance'],
];
// Channels the page follows for itself (to refresh its panels), whatever the
// feed shows.
const INTERNAL_CHANNELS = ['trust.score.updated', 'gateway.kill_switch.*', 'risk.*', 'aegis.*'];
const MAX_EVENTS = 200;
const SCORE_POLL_MS = 60_000;

const api = new API(() => session.token, () => endSession('Your session has ended. Sign in again.'));
const state = {
  me: null,
  feed: null,
  events: [],
  userPatterns: [],
  selectedRisk: null,
  risks: [],
  killActive: null,
  timers: [],
};

// ---------- helpers ----------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'title' || k === 'datetime' || k === 'scope') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function can(permission) {
  const perms = (state.me && state.me.permissions) || [];
  if (perms.includes(permission)) return true;
  const [module, level] = permission.split(':');
  return perms.some((p) => {
    const [m, l] = p.split(':');
    return m === module && (l === 'admin' || (l === 'write' && level === 'read'));
  });
}

function showError(node, err) {
  if (!err) {
    node.hidden = true;
    node.textContent = '';
    return;
  }
  node.hidden = false;
  node.textContent = err instanceof APIError || err instanceof Error ? err.message : String(err);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayMonth = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function fmtDate(s) {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? '–' : dateTime.format(d);
}

function gradeClass(grade) {
  const g = String(grade || '').charAt(0).toUpperCase();
  return { A: 'g-a', B: 'g-b', C: 'g-c', D: 'g-d', F: 'g-f' }[g] || 'g-unknown';
}

function debounce(fn, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// ---------- session ----------

async function boot() {
  wire();
  if (session.token) {
    try {
      state.me = await api.get('/api/v1/auth/me');
      showApp();
      return;
    } catch {
      session.token = '';
    }
  }
  showLogin();
}

function showLogin(message) {
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  showError($('login-error'), message || null);
  $('login-email').focus();
}

async function login(ev) {
  ev.preventDefault();
  const email = $('login-email').value.trim();
  const password = $('login-password').value;
  if (!email || !password) {
    showError($('login-error'), 'Enter your e-mail and password.');
    return;
  }
  const button = $('login-submit');
  button.disabled = true;
  showError($('login-error'), null);
  try {
    const tokens = await api.login(email, password);
    session.token = tokens.access_token;
    state.me = await api.get('/api/v1/auth/me');
    $('login-password').value = '';
    showApp();
  } catch (err) {
    const msg = err instanceof APIError && err.status === 401 ? 'The e-mail or password is not right.' : err.message;
    showError($('login-error'), msg);
  } finally {
    button.disabled = false;
  }
}

async function logout() {
  // Closed first: revoking the session also ends the stream.
  if (state.feed) state.feed.stop();
  try {
    await api.request('POST', '/api/v1/auth/logout');
  } catch {
    // The session is dropped here either way.
  }
  endSession();
}

function endSession(message) {
  session.token = '';
  state.me = null;
  if (state.feed) state.feed.stop();
  state.feed = null;
  state.timers.forEach(clearInterval);
  state.timers = [];
  state.events = [];
  renderFeed();
  showLogin(message);
}

function showApp() {
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  const me = state.me;
  const tenant = me.acting_tenant_id || me.tenant_id || '';
  $('tenant-name').textContent = tenant ? tenant.slice(0, 8) : '–';
  $('tenant-name').title = tenant;
  $('user-email').textContent = me.email || me.name || me.id;
  if (tenant && me.role === 'platform_admin') {
    // Only platform administrators may read tenants; others see the id.
    api.get(`/api/v1/iam/tenants/${encodeURIComponent(tenant)}`)
      .then((t) => { if (t && t.name) $('tenant-name').textContent = t.name; })
      .catch(() => {});
  }

  loadScore();
  loadHistory();
  loadKill();
  loadTraffic();
  loadRisks();
  state.aegis = state.aegis || mountAegis({ api, $, el, can, showError, fmtDate });
  state.aegis.load();
  state.console = state.console || mountConsole({
    api, el, can, showError,
    me: () => state.me || {},
    platformAdmin: () => !!state.me && state.me.role === 'platform_admin',
    showOverview: (on) => { $('main').hidden = !on; },
  });
  state.console.start();
  startFeed();
  state.timers.push(setInterval(loadScore, SCORE_POLL_MS));
  state.timers.push(setInterval(loadTraffic, TRAFFIC_POLL_MS));
}

// ---------- trust score ----------

async function loadScore() {
  const box = $('score');
  if (!can('trust:read')) {
    showError($('score-error'), 'You lack the trust:read permission.');
    box.setAttribute('aria-busy', 'false');
    return;
  }
  try {
    renderScore(await api.get('/api/v1/trust/scores/current'));
    showError($('score-error'), null);
  } catch (err) {
    showError($('score-error'), err);
  } finally {
    box.setAttribute('aria-busy', 'false');
  }
}

function renderScore(s) {
  const known = typeof s.composite_score === 'number';
  const value = $('composite-score');
  value.textContent = known ? s.composite_score.toFixed(1) : 'unknown';
  value.classList.toggle('unknown', !known);
  $('composite-grade').textContent = known && s.grade ? s.grade : 'unknown';
  $('composite-grade-box').className = `grade ${known ? gradeClass(s.grade) : 'g-unknown'}`;
  $('composite-trend').textContent = s.trend || '–';
  $('composite-updated').textContent = s.last_recalculated_at ? fmtDate(s.last_recalculated_at) : 'never';
  $('composite-decay').textContent = s.decay_model || '–';
  $('score').dataset.composite = known ? String(s.composite_score) : 'unknown';

  const list = $('pillars');
  list.replaceChildren();
  for (const [key, label] of PILLARS) {
    const p = (s.pillars && s.pillars[key]) || {};
    const pKnown = typeof p.score === 'number' && p.status !== 'unknown';
    const scoreText = pKnown ? p.score.toFixed(1) : 'unknown';
    const bar = el('div', { class: 'bar' });
    const fill = el('div', { class: `fill ${pKnown ? gradeClass(letter(p.score)) : ''}` });
    fill.style.width = pKnown ? `${Math.max(0, Math.min(100, p.score))}%` : '0%';
    bar.append(fill);
    if (pKnown) {
      bar.setAttribute('role', 'meter');
      bar.setAttribute('aria-valuemin', '0');
      bar.setAttribute('aria-valuemax', '100');
      bar.setAttribute('aria-valuenow', String(p.score));
      bar.setAttribute('aria-label', `${label} ${scoreText} of 100`);
    } else {
      bar.setAttribute('aria-hidden', 'true');
    }
    const meta = [];
    if (typeof p.weight === 'number') meta.push(`weight ${Math.round(p.weight * 100)}%`);
    if (p.source) meta.push(p.source);
    if (typeof p.signals === 'number') meta.push(`${p.signals} signal${p.signals === 1 ? '' : 's'}`);
    list.append(el('li', { class: `pillar ${pKnown ? 'known' : 'unknown'}`, 'data-pillar': key, 'data-status': pKnown ? 'known' : 'unknown' },
      el('div', { class: 'pillar-name', text: label }),
      bar,
      el('div', { class: `pillar-score ${pKnown ? gradeClass(letter(p.score)) : ''}`, text: scoreText }),
      el('div', { class: 'pillar-meta muted', title: meta.join(' · '), text: meta.join(' · ') })));
  }
}

// A display colour band for a pillar score (the grade scale is the server's).
function letter(score) {
  if (score >= 90) return 'A';
  if (score >= 80) return 'B';
  if (score >= 70) return 'C';
  if (score >= 60) return 'D';
  return 'F';
}

// ---------- history ----------

async function loadHistory() {
  const box = $('history-chart');
  if (!can('trust:read')) {
    box.replaceChildren(el('p', { class: 'muted empty', text: 'You lack the trust:read permission.' }));
    return;
  }
  const g = $('history-granularity').value;
  try {
    const pts = (await api.get(`/api/v1/trust/scores/history?granularity=${encodeURIComponent(g)}&limit=200`)) || [];
    const points = pts
      .map((p) => ({ x: Date.parse(p.at), y: p.score, label: `${fmtDate(p.at)}: ${Number(p.score).toFixed(1)} (${p.grade})` }))
      .sort((a, b) => a.x - b.x);
    // One point is drawn in a window of a bucket on each side.
    const bucket = { hour: 3600_000, day: 86400_000, week: 7 * 86400_000 }[g];
    const xDomain = points.length === 1 ? [points[0].x - bucket, points[0].x + bucket] : undefined;
    const span = xDomain ? xDomain[1] - xDomain[0] : points.length ? points[points.length - 1].x - points[0].x : 0;
    const fx = span < 2 * 86400_000 ? (v) => hourMinute.format(new Date(v)) : (v) => dayMonth.format(new Date(v));
    const last = points[points.length - 1];
    lineChart(box, points, {
      label: points.length
        ? `Composite trust score per ${g}: ${points.length} point${points.length === 1 ? '' : 's'}, latest ${last.y.toFixed(1)}`
        : 'No score history',
      yMin: 0, yMax: 100, yTicks: [0, 25, 50, 75, 100],
      xFormat: fx, yFormat: (v) => String(Math.round(v)),
      markers: points.length <= 60,
      xDomain,
      empty: 'No recorded scores in this period yet.',
    });
  } catch (err) {
    box.replaceChildren(el('p', { class: 'error', role: 'alert', text: err.message }));
  }
}

// ---------- live feed ----------

function readFilter() {
  const checked = [...document.querySelectorAll('#feed-filter input[name=channel]:checked')].map((i) => i.value);
  const typed = $('feed-patterns').value.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
  const invalid = typed.filter((p) => !validPattern(p));
  const patterns = [...new Set([...checked, ...typed.filter(validPattern)])];
  return { patterns, invalid };
}

function applyFilter() {
  const { patterns, invalid } = readFilter();
  showError($('feed-patterns-error'), invalid.length ? `Not a channel pattern: ${invalid.join(', ')} (use names like gateway.request.blocked, a trailing .* or *)` : null);
  $('feed-patterns').setAttribute('aria-invalid', invalid.length ? 'true' : 'false');
  state.userPatterns = patterns;
  $('feed').dataset.patterns = patterns.join(',');
  if (state.feed) state.feed.setPatterns([...patterns, ...followed()]);
  renderFeed();
}

function startFeed() {
  const { patterns } = readFilter();
  state.userPatterns = patterns;
  $('feed').dataset.patterns = patterns.join(',');
  const refreshScore = debounce(() => { loadScore(); loadHistory(); }, 250);
  const refreshKill = debounce(loadKill, 250);
  const refreshTraffic = debounce(loadTraffic, 1000);
  const refreshRisks = debounce(() => loadRisks(true), 400);
  state.feed = new LiveFeed({
    token: () => session.token,
    onEvent: (ev) => {
      const channel = channelOf(ev.type);
      ev._channel = channel;
      ev._received = Date.now();
      state.events.unshift(ev);
      if (state.events.length > MAX_EVENTS) state.events.length = MAX_EVENTS;
      if (visible(ev)) prependEvent(ev);
      if (channel === 'trust.score.updated') refreshScore();
      if (channel.startsWith('gateway.kill_switch.')) refreshKill();
      if (channel.startsWith('gateway.request.')) refreshTraffic();
      if (channel.startsWith('risk.')) refreshRisks();
      if (state.aegis) state.aegis.onEvent(channel);
      if (state.console) state.console.onEvent(channel);
    },
    onStatus: (st, detail, channels) => {
      const node = $('feed-status');
      node.dataset.state = st;
      if (st === 'connecting') node.dataset.connects = String(Number(node.dataset.connects || 0) + 1);
      if (st === 'live') {
        node.dataset.channels = (channels || []).join(',');
        const mine = state.userPatterns;
        node.textContent = (mine.length ? `Live · ${mine.join(', ')}` : 'Live · no channel selected') + (detail ? ` · not readable: ${detail}` : '');
      } else {
        node.dataset.channels = '';
        node.textContent = detail;
      }
    },
    onUnauthenticated: () => endSession('Your session has ended. Sign in again.'),
  });
  state.feed.start([...patterns, ...followed()]);
}

// followed is what the page follows for itself: the overview's channels and
// those of every console page the caller may read.
function followed() {
  const pages = MODULES.filter((m) => can(m.perm)).flatMap((m) => m.channels.map((c) => `${c}*`));
  return [...new Set([...INTERNAL_CHANNELS, ...pages])];
}

function visible(ev) {
  return state.userPatterns.some((p) => matchChannel(p, ev._channel));
}

const SUMMARY_KEYS = ['blocked_by', 'failure', 'error_code', 'injection_score', 'patterns', 'policy_violations', 'pii_types',
  'reason', 'score', 'grade', 'previous', 'title', 'level', 'mean_ale', 'model', 'provider', 'status', 'scope', 'email', 'name'];

function summarize(data) {
  if (data === null || data === undefined) return '';
  if (typeof data !== 'object') return String(data).slice(0, 160);
  const parts = [];
  const seen = new Set();
  const add = (k, v) => {
    if (parts.length >= 5 || seen.has(k)) return;
    let s;
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return;
    if (Array.isArray(v)) s = v.filter((x) => typeof x !== 'object').slice(0, 3).join(', ');
    else if (typeof v === 'object') s = Object.entries(v).filter(([, x]) => typeof x !== 'object').map(([a, b]) => `${a}:${b}`).join(' ');
    else if (typeof v === 'number') s = Number.isInteger(v) ? String(v) : v.toFixed(2);
    else s = String(v);
    if (!s) return;
    seen.add(k);
    parts.push(`${k}=${s.length > 48 ? `${s.slice(0, 47)}…` : s}`);
  };
  for (const k of SUMMARY_KEYS) {
    if (!(k in data)) continue;
    const f = data[k];
    // A provider failure reads as its cause: failure=upstream_5xx 502.
    if (k === 'failure' && f && typeof f === 'object') add(k, [f.cause, f.upstream_status].filter(Boolean).join(' '));
    else add(k, f);
  }
  for (const [k, v] of Object.entries(data)) {
    if (!k.endsWith('_id') && k !== 'tenant_id' && typeof v !== 'object') add(k, v);
  }
  return parts.join(' · ');
}

// The modules as people name them (event types carry the internal names).
const MODULE_TITLES = {
  iam: 'Identity', sso: 'Single sign-on', gateway: 'Gateway', trust: 'Trust score', risk: 'Risk', compliance: 'Compliance',
  admin: 'Admin', aegis: 'AEGIS', cybertwins: 'CyberTwins', resilience: 'Resilience', data_gov: 'Data governance',
  bastion_ai: 'BASTION AI', platform: 'Platform',
};
const moduleTitle = (m) => MODULE_TITLES[m] || (m ? m[0].toUpperCase() + m.slice(1).replace(/_/g, ' ') : '');

function eventItem(ev) {
  const type = String(ev.type || '');
  const short = type.replace(/^com\.astra\./, '');
  const [module, name] = short.includes('.') ? short.split('.', 2) : ['', short];
  // A provider failure is not a security block: it has its own colour.
  const failure = type === 'com.astra.gateway.RequestFailed';
  const alert = !failure && /(Blocked|Failed|Activated|Exceeded|Anomaly|Violation)$/.test(name);
  const when = ev.time ? new Date(ev.time) : new Date(ev._received);
  return el('li', { class: `event${alert ? ' alert' : ''}${failure ? ' failure' : ''}`, 'data-type': type, 'data-id': ev.id, 'data-received': String(ev._received) },
    el('div', { class: 'event-head' },
      el('span', { class: 'event-type', title: type },
        el('span', { class: 'event-module', text: moduleTitle(module) }), ` ${name}`),
      el('time', { datetime: when.toISOString(), title: dateTime.format(when), text: timeOnly.format(when) })),
    el('div', { class: 'event-sub muted' },
      el('span', { text: ev._channel }),
      ev.subject ? el('span', { class: 'event-subject', title: ev.subject, text: ` · ${ev.subject}` }) : null),
    el('div', { class: 'event-summary', text: summarize(ev.data) }));
}

function prependEvent(ev) {
  const list = $('feed-list');
  list.prepend(eventItem(ev));
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
  updateFeedCount();
}

function renderFeed() {
  const list = $('feed-list');
  list.replaceChildren(...state.events.filter(visible).map(eventItem));
  updateFeedCount();
}

function updateFeedCount() {
  const n = $('feed-list').children.length;
  $('feed-count').textContent = `${n} event${n === 1 ? '' : 's'}`;
  $('feed-empty').hidden = n > 0;
}

// ---------- kill switch ----------

// ---------- gateway traffic ----------

const TRAFFIC_POLL_MS = 60000;

// Blocks (the policy refused) and provider failures (no provider answered)
// are counted apart: a provider outage is not a security event.
async function loadTraffic() {
  const node = $('gw-traffic');
  if (!can('gateway:read')) {
    node.replaceChildren();
    return;
  }
  try {
    const from = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const st = await api.get(`/api/v1/gateway/requests/stats?from=${encodeURIComponent(from)}`);
    const pct = (r) => `${((r || 0) * 100).toFixed(1)}%`;
    const item = (k, v, kind) => el('div', {}, el('dt', { text: k }), el('dd', { text: v, 'data-kind': kind }));
    node.dataset.requests = String(st.requests || 0);
    node.dataset.blocked = String(st.blocked || 0);
    node.dataset.failed = String(st.failed || 0);
    node.replaceChildren(
      item('Requests', (st.requests || 0).toLocaleString(), 'requests'),
      item('Blocked by policy', `${(st.blocked || 0).toLocaleString()} · ${pct(st.block_rate)}`, 'blocked'),
      item('Provider failures', `${(st.failed || 0).toLocaleString()} · ${pct(st.failure_rate)}`, 'failed'));
    const causes = Object.entries(st.failed_by || {}).sort((a, b) => b[1] - a[1]);
    $('gw-failed-by').textContent = causes.length
      ? `Failures by cause: ${causes.map(([c, n]) => `${c.replace(/_/g, ' ')} ${n}`).join(', ')}`
      : '';
    showError($('gw-traffic-error'), null);
  } catch (err) {
    showError($('gw-traffic-error'), err);
  }
}

async function loadKill() {
  const stateNode = $('kill-state');
  const button = $('kill-toggle');
  if (!can('gateway:read')) {
    stateNode.textContent = 'You lack the gateway:read permission.';
    button.hidden = true;
    return;
  }
  try {
    const st = await api.get('/api/v1/gateway/kill-switch');
    const active = (st && st.active) || [];
    const mine = active.find((k) => k.scope && k.scope.kind === 'tenant');
    const global = active.find((k) => k.scope && k.scope.kind === 'global');
    state.killActive = mine || null;
    stateNode.dataset.active = mine ? 'true' : 'false';
    stateNode.textContent = mine ? 'Active: this tenant\u2019s gateway traffic is stopped' : 'Inactive: gateway traffic flows';
    const detail = [];
    if (mine) detail.push(`Since ${fmtDate(mine.activated_at)}: \u201c${mine.reason}\u201d`);
    if (global) detail.push(`A global kill switch is active (\u201c${global.reason}\u201d).`);
    $('kill-detail').textContent = detail.join(' ');
    button.textContent = mine ? 'Deactivate kill switch\u2026' : 'Activate kill switch\u2026';
    button.className = mine ? 'primary' : 'danger';
    button.hidden = !can('gateway:admin');
    button.disabled = false;
    showError($('kill-error'), null);
  } catch (err) {
    showError($('kill-error'), err);
  }
}

function openKillDialog() {
  const activating = !state.killActive;
  $('kill-dialog-title').textContent = activating ? 'Activate the kill switch?' : 'Deactivate the kill switch?';
  $('kill-dialog-text').textContent = activating
    ? 'Every AI gateway request of this tenant will be refused until the switch is deactivated.'
    : 'AI gateway requests of this tenant will be served again.';
  $('kill-confirm').textContent = activating ? 'Activate' : 'Deactivate';
  $('kill-confirm').className = activating ? 'danger' : 'primary';
  $('kill-reason').value = '';
  showError($('kill-dialog-error'), null);
  $('kill-dialog').showModal();
  $('kill-reason').focus();
}

async function confirmKill(ev) {
  ev.preventDefault();
  const reason = $('kill-reason').value.trim();
  if (reason.length < 3) {
    showError($('kill-dialog-error'), 'Give a reason of at least 3 characters.');
    $('kill-reason').focus();
    return;
  }
  const activating = !state.killActive;
  const confirmButton = $('kill-confirm');
  confirmButton.disabled = true;
  try {
    await api.post(`/api/v1/gateway/kill-switch/${activating ? 'activate' : 'deactivate'}`, { scope: { kind: 'tenant' }, reason });
    $('kill-dialog').close();
    await loadKill();
    $('kill-toggle').focus();
  } catch (err) {
    showError($('kill-dialog-error'), err);
  } finally {
    confirmButton.disabled = false;
  }
}

// ---------- risk register ----------

async function loadRisks(keepSelection) {
  const rows = $('risk-rows');
  if (!can('risk:read')) {
    $('risk-empty').hidden = false;
    $('risk-empty').textContent = 'You lack the risk:read permission.';
    return;
  }
  try {
    const risks = (await api.get('/api/v1/risk/risks?limit=100')) || [];
    state.risks = risks;
    rows.replaceChildren(...risks.map(riskRow));
    $('risk-empty').hidden = risks.length > 0;
    const sel = keepSelection && state.selectedRisk && risks.find((r) => r.id === state.selectedRisk);
    if (sel) {
      markSelected(sel.id);
      if (sel.last_simulation_id !== $('risk-detail').dataset.simulation) showRisk(sel.id, false);
    }
  } catch (err) {
    $('risk-empty').hidden = false;
    $('risk-empty').textContent = err.message;
  }
}

function riskRow(r) {
  const open = el('button', { type: 'button', class: 'link', text: r.title, 'aria-pressed': 'false', 'data-risk': r.id });
  open.addEventListener('click', () => showRisk(r.id, true));
  return el('tr', { 'data-risk': r.id },
    el('th', { scope: 'row' }, open),
    el('td', { text: r.owner || '–' }),
    el('td', { text: `${r.likelihood} × ${r.impact} = ${r.inherent_score}` }),
    el('td', {}, el('span', { class: `level level-${r.level}`, text: r.level })),
    el('td', { text: r.treatment || '–' }),
    el('td', { class: 'num', text: typeof r.last_mean_ale === 'number' ? money(r.last_mean_ale) : '–' }));
}

function markSelected(id) {
  for (const b of document.querySelectorAll('#risk-rows button[data-risk]')) {
    const on = b.dataset.risk === id;
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    b.closest('tr').classList.toggle('selected', on);
  }
}

async function showRisk(id, focus) {
  const risk = state.risks.find((r) => r.id === id);
  if (!risk) return;
  state.selectedRisk = id;
  markSelected(id);
  const detail = $('risk-detail');
  detail.hidden = false;
  detail.dataset.risk = id;
  $('risk-detail-title').textContent = risk.title;
  $('risk-simulate').hidden = !can('risk:write');
  showError($('risk-error'), null);
  const chart = $('lec-chart');
  try {
    const sims = (await api.get(`/api/v1/risk/risks/${encodeURIComponent(id)}/simulations`)) || [];
    renderSimulation(sims[0] || null, risk);
  } catch (err) {
    chart.replaceChildren();
    showError($('risk-error'), err);
  }
  if (focus) $('risk-detail-title').scrollIntoView({ block: 'nearest' });
}

function renderSimulation(sim, risk) {
  const detail = $('risk-detail');
  const stats = $('risk-stats');
  stats.replaceChildren();
  detail.dataset.simulation = sim ? sim.id : '';
  if (!sim) {
    lineChart($('lec-chart'), [], {
      empty: risk.fair ? 'Not simulated yet: press Simulate.' : 'This risk has no FAIR model yet, so it cannot be simulated.',
    });
    return;
  }
  const r = sim.results || {};
  const add = (k, v) => stats.append(el('div', {}, el('dt', { text: k }), el('dd', { text: v })));
  add('Mean ALE', money(r.mean_ale));
  add('P50', money(r.p50));
  add('P90', money(r.p90));
  add('P99', money(r.p99));
  add('VaR 99.9%', money(r.var_99_9));
  add('P(no loss)', `${((r.probability_of_zero_loss || 0) * 100).toFixed(1)}%`);
  add('Iterations', `${(sim.iterations || r.iterations || 0).toLocaleString()} · ${fmtDate(sim.at)}`);
  lossExceedanceChart($('lec-chart'), r, risk.title);
}

async function simulate() {
  const id = state.selectedRisk;
  if (!id) return;
  const button = $('risk-simulate');
  button.disabled = true;
  button.textContent = 'Simulating…';
  showError($('risk-error'), null);
  try {
    const sim = await api.post(`/api/v1/risk/risks/${encodeURIComponent(id)}/simulate`, { iterations: 100000 });
    const risk = state.risks.find((r) => r.id === id);
    renderSimulation(sim, risk);
    loadRisks(true);
  } catch (err) {
    showError($('risk-error'), err);
  } finally {
    button.disabled = false;
    button.textContent = 'Simulate';
  }
}

// ---------- wiring ----------

function wire() {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('score-refresh').addEventListener('click', () => { loadScore(); loadHistory(); });
  $('history-granularity').addEventListener('change', loadHistory);
  $('feed-filter').addEventListener('change', applyFilter);
  $('feed-filter').addEventListener('submit', (e) => { e.preventDefault(); applyFilter(); });
  $('feed-patterns').addEventListener('input', debounce(applyFilter, 500));
  $('feed-clear').addEventListener('click', () => { state.events = []; renderFeed(); });
  $('kill-toggle').addEventListener('click', openKillDialog);
  $('kill-form').addEventListener('submit', confirmKill);
  $('kill-cancel').addEventListener('click', () => $('kill-dialog').close());
  $('risk-refresh').addEventListener('click', () => loadRisks(true));
  $('risk-simulate').addEventListener('click', simulate);
}

boot();
