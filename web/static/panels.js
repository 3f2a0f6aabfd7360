// Panels: the console's sections that are drawn rather than listed — the
// gateway's usage chart, the CyberTwins asset graph with its attack paths,
// Data Governance lineage, an assessment's requirement-by-requirement
// entry, a risk's loss exceedance curve and BASTION AI's chat. Each is a
// client of the public API; each returns its reload, which the live stream
// calls.

import { lineChart, lossExceedanceChart, money, niceStep } from './charts.js';
import { layeredGraph, pathKeys } from './graph.js';
import { problemOf } from './api.js';

const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

function stats(el, pairs) {
  return el('dl', { class: 'stats' }, ...pairs.map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));
}

/** PANELS by name: (ctx) => reload, ctx = {api, el, can, showError, act, card, item, headingId}. */
export const PANELS = {
  gatewayUsage({ api, el, showError, card }) {
    const summary = el('div');
    const chart = el('div', { class: 'chart', id: 'usage-chart' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(summary, chart, error);
    const reload = async () => {
      try {
        const from = new Date(Date.now() - 30 * 86400_000).toISOString();
        const u = await api.get(`/api/v1/gateway/usage?from=${encodeURIComponent(from)}`);
        const perDay = new Map();
        for (const d of u.days || []) {
          const x = perDay.get(d.day) || { requests: 0, blocked: 0, tokens: 0 };
          x.requests += d.requests;
          x.blocked += d.blocked;
          x.tokens += d.total_tokens;
          perDay.set(d.day, x);
        }
        const t = u.totals || {};
        summary.replaceChildren(stats(el, [
          ['Requests', (t.requests || 0).toLocaleString()],
          ['Blocked', (t.blocked || 0).toLocaleString()],
          ['Tokens', (t.total_tokens || 0).toLocaleString()],
          ['Cost', t.cost_usd === null || t.cost_usd === undefined ? `${money(t.priced_cost_usd || 0)} priced` : money(t.cost_usd)],
        ]));
        // Every day of the window, the quiet ones as zero.
        const points = [];
        const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
        for (let i = 29; i >= 0; i--) {
          const at = today - i * 86400_000;
          const day = new Date(at).toISOString().slice(0, 10);
          const x = perDay.get(day) || { requests: 0, blocked: 0, tokens: 0 };
          points.push({ x: at, y: x.requests, label: `${day}: ${x.requests} requests, ${x.blocked} blocked, ${x.tokens} tokens` });
        }
        const max = Math.max(...points.map((p) => p.y));
        const step = Math.max(1, niceStep(max || 1, 4));
        const yMax = Math.max(step, Math.ceil(max / step) * step);
        const yTicks = [];
        for (let v = 0; v <= yMax; v += step) yTicks.push(v);
        lineChart(chart, points, {
          label: `Gateway requests per day, last 30 days: ${(t.requests || 0).toLocaleString()} in all`,
          yMin: 0, yMax, yTicks, xFormat: (v) => dayFormat.format(new Date(v)), markers: true,
        });
        chart.dataset.days = String(perDay.size);
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    reload();
    return reload;
  },

  twinGraph({ api, el, can, showError, card }) {
    const bar = el('div', { class: 'tools' });
    const pick = el('select', { id: 'attack-path-pick' });
    bar.append(el('label', { htmlFor: 'attack-path-pick', text: 'Attack path' }), pick);
    let compute = null;
    if (can('cybertwins:write')) {
      compute = el('button', { type: 'button', class: 'small primary', text: 'Compute attack paths', 'data-tool': 'attack-paths' });
      bar.append(compute);
    }
    const legend = el('p', { class: 'muted legend', text: 'Entry points on the left, crown jewels outlined in red; the chosen attack path is drawn bold.' });
    const drawing = el('div', { id: 'twin-graph', class: 'graph' });
    const status = el('p', { class: 'muted', role: 'status' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(bar, legend, drawing, status, error);
    let nodes = [];
    let edges = [];
    let paths = [];
    const names = new Map();
    const draw = () => {
      const p = paths[Number(pick.value)] || null;
      layeredGraph(drawing, nodes, edges, {
        label: `Asset graph: ${nodes.length} assets, ${edges.length} relationships${p ? `; attack path ${p.assets.map((a) => names.get(a) || a).join(' → ')}` : ''}`,
        highlight: p ? pathKeys(p.assets) : new Set(),
        empty: 'No assets yet: add them below, or import a graph through the API.',
      });
      drawing.dataset.highlighted = p ? String(p.assets.length) : '0';
    };
    pick.addEventListener('change', draw);
    const reload = async () => {
      try {
        const [graph, computations] = await Promise.all([
          api.get('/api/v1/cybertwins/graph?limit=200'),
          api.get('/api/v1/cybertwins/attack-paths?limit=1'),
        ]);
        names.clear();
        nodes = (graph || []).map((n) => {
          names.set(n.id, n.name);
          const marks = [n.entry_point ? 'entry' : '', n.crown_jewel ? 'crown' : ''].filter(Boolean);
          return { id: n.id, label: n.name, sub: `${n.type.replaceAll('_', ' ')} · criticality ${n.criticality}`, marks };
        });
        edges = (graph || []).flatMap((n) => (n.links || []).map((l) => ({
          source: n.id, target: l.target, label: `${n.name} ${l.type.replaceAll('_', ' ')} ${names.get(l.target) || l.target} (exploitability ${l.exploitability})`,
        })));
        const latest = (computations || [])[0];
        paths = (latest && latest.paths) || [];
        const keep = pick.value;
        pick.replaceChildren(el('option', { value: '', text: paths.length ? 'None' : 'None computed' }),
          ...paths.map((p, i) => el('option', { value: String(i), text: `${i + 1}: ${(p.probability * 100).toFixed(1)}% · ${p.assets.length} assets` })));
        pick.value = keep && Number(keep) < paths.length ? keep : paths.length ? '0' : '';
        status.textContent = latest ? `Attack paths computed ${new Date(latest.computed_at).toLocaleString()}: ${paths.length} found.` : '';
        draw();
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    if (compute) {
      compute.addEventListener('click', async () => {
        compute.disabled = true;
        try {
          await api.post('/api/v1/cybertwins/attack-paths', { k: 5 });
          await reload();
        } catch (err) {
          showError(error, err);
        } finally {
          compute.disabled = false;
        }
      });
    }
    reload();
    return reload;
  },

  lineage({ api, el, showError, card }) {
    const form = el('form', { class: 'filters', 'data-lineage': '' });
    const ns = el('input', { id: 'lineage-namespace', name: 'namespace', type: 'text', required: true, autocomplete: 'off' });
    const name = el('input', { id: 'lineage-name', name: 'name', type: 'text', required: true, autocomplete: 'off' });
    const type = el('select', { id: 'lineage-type', name: 'type' }, el('option', { value: 'dataset', text: 'dataset' }), el('option', { value: 'job', text: 'job' }));
    form.append(
      el('label', { htmlFor: 'lineage-namespace', text: 'Namespace' }), ns,
      el('label', { htmlFor: 'lineage-name', text: 'Name' }), name,
      el('label', { htmlFor: 'lineage-type', text: 'Node' }), type,
      el('button', { type: 'submit', class: 'small primary', text: 'Draw' }));
    const drawing = el('div', { id: 'lineage-graph', class: 'graph' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(form, drawing, error);
    drawing.append(el('p', { class: 'muted empty', text: 'Choose a dataset or job (as OpenLineage names it) to draw its lineage, upstream and downstream.' }));
    let shown = null;
    const reload = async () => {
      if (!shown) return;
      try {
        const q = new URLSearchParams({ namespace: shown.namespace, name: shown.name, type: shown.type, depth: '10' });
        const g = await api.get(`/api/v1/data-gov/lineage?${q}`);
        const nodes = (g.graph || []).map((n) => ({
          id: n.id, label: n.data.name, sub: `${n.type.toLowerCase()} · ${n.data.namespace}`, marks: n.id === g.root ? ['root'] : [],
          kind: n.type.toLowerCase(),
        }));
        const edges = (g.graph || []).flatMap((n) => (n.outEdges || []).map((e) => ({ source: e.origin, target: e.destination })));
        layeredGraph(drawing, nodes, edges, {
          label: `Lineage of ${shown.namespace}/${shown.name}: ${nodes.filter((n) => n.kind === 'dataset').length} datasets, ${nodes.filter((n) => n.kind === 'job').length} jobs${g.truncated ? ' (cut)' : ''}`,
        });
        drawing.dataset.nodes = String(nodes.length);
        showError(error, null);
      } catch (err) {
        drawing.replaceChildren();
        showError(error, err);
      }
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      shown = { namespace: ns.value.trim(), name: name.value.trim(), type: type.value };
      reload();
    });
    return reload;
  },

  riskCurve({ api, el, showError, card, item }) {
    const chart = el('div', { class: 'chart', id: 'risk-lec' });
    const summary = el('div');
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(summary, chart, error);
    const reload = async () => {
      try {
        const sims = (await api.get(`/api/v1/risk/risks/${encodeURIComponent(item.id)}/simulations`)) || [];
        const sim = sims[0];
        if (!sim) {
          summary.replaceChildren();
          lineChart(chart, [], { empty: item.fair ? 'Not simulated yet: press Simulate.' : 'This risk has no FAIR model yet, so it cannot be simulated.' });
          return;
        }
        const r = sim.results || {};
        summary.replaceChildren(stats(el, [['Mean ALE', money(r.mean_ale)], ['P90', money(r.p90)], ['P99', money(r.p99)],
          ['Simulated', new Date(sim.at).toLocaleString()]]));
        lossExceedanceChart(chart, r, item.title);
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    reload();
    return reload;
  },

  assessmentRequirements({ api, el, can, showError, act, card, item }) {
    const table = el('table', { class: 'table' });
    table.append(el('thead', {}, el('tr', {}, ...['Requirement', 'Title', 'Result', 'Notes', 'Actions'].map((h) => el('th', { scope: 'col', text: h })))));
    const body = el('tbody');
    table.append(body);
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(el('div', { class: 'table-wrap', tabIndex: 0, role: 'region', 'aria-label': 'Requirements (table)' }, table), error);
    const writable = can('compliance:write');
    const assess = {
      id: 'assess', label: 'Assess', perm: 'compliance:write', method: 'PUT',
      path: (r) => `/api/v1/compliance/assessments/${encodeURIComponent(item.id)}/requirements/${encodeURIComponent(r.id)}`,
      fields: [
        { name: 'result', label: 'Result', options: ['compliant', 'partial', 'non_compliant', 'not_applicable'], required: true },
        { name: 'notes', label: 'Notes', textarea: true },
      ],
    };
    let framework = null;
    const reload = async () => {
      try {
        const [a, f] = await Promise.all([
          api.get(`/api/v1/compliance/assessments/${encodeURIComponent(item.id)}`),
          framework ? Promise.resolve(framework) : api.get(`/api/v1/compliance/frameworks/${encodeURIComponent(item.framework_id)}`),
        ]);
        framework = f;
        const results = new Map((a.results || []).map((r) => [r.requirement_id, r]));
        const open = a.status === 'in_progress' && writable;
        body.replaceChildren(...(f.requirements_tree || []).filter((q) => q.assessable && !q.withdrawn).slice(0, 200).map((q) => {
          const res = results.get(q.id);
          const label = q.label || q.id;
          const td = el('td');
          if (open) {
            const verb = res ? 'Change' : 'Assess';
            const b = el('button', { type: 'button', class: 'small', text: `${verb}\u2026`, 'data-action': 'assess', 'aria-label': `${verb} ${label}` });
            b.addEventListener('click', () => act(assess, q, label, b, reload));
            td.append(b);
          }
          return el('tr', { 'data-id': q.id, 'data-result': res ? res.result : '' },
            el('td', { text: label }), el('td', { class: 'wrap', text: q.title }),
            el('td', {}, res ? el('span', { class: `result r-${res.result}`, text: res.result.replaceAll('_', ' ') }) : el('span', { class: 'muted', text: 'not assessed' })),
            el('td', { class: 'wrap', text: res && res.notes ? res.notes : '–' }), td);
        }));
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    reload();
    return reload;
  },

  chat({ api, el, showError, card }) {
    const log = el('ol', { class: 'chat-log' });
    const form = el('form', { class: 'chat-form', 'data-chat': '' });
    const input = el('textarea', { id: 'chat-input', name: 'message', rows: 2, required: true, maxLength: 8000 });
    const send = el('button', { type: 'submit', class: 'primary', text: 'Ask' });
    const fresh = el('button', { type: 'button', class: 'small', text: 'New conversation' });
    form.append(el('label', { htmlFor: 'chat-input', text: 'Your question' }), input, el('div', { class: 'tools' }, send, fresh));
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(el('div', { role: 'log', 'aria-label': 'Conversation', 'aria-live': 'polite' }, log), form, error);
    let conversation = '';
    fresh.addEventListener('click', () => { conversation = ''; log.replaceChildren(); input.focus(); });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const message = input.value.trim();
      if (!message) return;
      showError(error, null);
      log.append(el('li', { class: 'chat-q' }, el('p', { class: 'who', text: 'You' }), el('p', { text: message })));
      const text = el('p', { class: 'answer-text', text: '…' });
      const steps = el('p', { class: 'muted steps' });
      const answer = el('li', { class: 'chat-a', 'aria-busy': 'true' }, el('p', { class: 'who', text: 'BASTION AI' }), steps, text);
      log.append(answer);
      send.disabled = true;
      input.value = '';
      try {
        const body = { message, stream: true };
        if (conversation) body.conversation_id = conversation;
        const done = await streamChat(api, body, {
          toolCall: (t) => { steps.textContent = `${steps.textContent ? `${steps.textContent} · ` : 'Read: '}${t.name}${t.allowed ? '' : ' (not allowed)'}`; },
          delta: (d) => { text.textContent = (text.textContent === '…' ? '' : text.textContent) + d; },
        });
        conversation = done.conversation_id;
        text.textContent = done.answer;
        answer.dataset.message = done.message_id;
        answer.append(citations(el, done.citations || []));
      } catch (err) {
        text.textContent = '';
        showError(error, err);
      } finally {
        answer.setAttribute('aria-busy', 'false');
        send.disabled = false;
      }
    });
    return () => {};
  },
};

/** auditLink is the audit trail's deep link to one event of a stream. */
export function auditLink(eventId, streamId) {
  return `/admin/audit/${encodeURIComponent(eventId)}${streamId ? `?stream_id=${encodeURIComponent(streamId)}` : ''}`;
}

// citations lists an answer's sources, each with the ledger events behind
// it linked to their page in the audit trail.
function citations(el, cites) {
  if (!cites.length) return el('p', { class: 'muted', text: 'No sources cited.' });
  const ul = el('ul', { class: 'citations', 'aria-label': 'Sources' });
  for (const c of cites) {
    const li = el('li', {}, el('span', { text: `${c.kind.replaceAll('_', ' ')} ${c.id.length > 12 ? `${c.id.slice(0, 8)}…` : c.id}`, title: c.id }));
    for (const ev of c.events || []) {
      li.append(' · ', el('a', { href: auditLink(ev.event_id, ev.stream_id), 'data-nav': '', 'data-citation': ev.event_id, text: `${ev.type.replace(/^com\.astra\./, '')} #${ev.position}` }));
    }
    ul.append(li);
  }
  return el('div', { class: 'sources' }, el('p', { class: 'muted', text: 'Sources, with the audit events behind them:' }), ul);
}

// streamChat posts a chat with stream: true and reads its Server-Sent
// Events (tool_call, delta, answer, done, error) as they come.
async function streamChat(api, body, on) {
  const res = await fetch('/api/v1/bastion-ai/chat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', Authorization: `Bearer ${api.token()}` },
    body: JSON.stringify(body),
  });
  if (!res.ok || !(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
    throw await problemOf(res);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let done = null;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (value) buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = (block.match(/^event: (.*)$/m) || [])[1];
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (!event || !data) continue;
      const v = JSON.parse(data);
      if (event === 'tool_call') on.toolCall(v);
      else if (event === 'delta') on.delta(v.text);
      else if (event === 'done') done = v;
      else if (event === 'error') throw new Error(v.detail || v.title);
    }
    if (end) break;
  }
  if (!done) throw new Error('The answer ended early.');
  return done;
}
