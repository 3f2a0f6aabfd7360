// Views: the console's panels that only some pages need, loaded when one of
// them is first drawn (the first load stays small): a gateway policy's
// version diff and backtest, an MCP server's tool pins with the diff of a
// drifted tool, the compliance evidence upload, the risk portfolio and
// heatmap, and the licence. Each is a client of the public API and returns
// its reload, which the live stream calls. Hiding a control is a
// convenience: the API refuses what the caller may not do.

import { sha256 } from './api.js';
import { lossExceedanceChart, lineChart, money } from './charts.js';
import { diffTable, pretty } from './diff.js';

const when = (v) => (v ? new Date(v).toLocaleString() : '–');
const plural = (n, one, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

function stats(el, pairs, attrs = {}) {
  return el('dl', { class: 'stats', ...attrs }, ...pairs.map(([k, v, key]) => el('div', key ? { 'data-stat': key } : {}, el('dt', { text: k }), el('dd', { text: v }))));
}

function table(el, label, headings) {
  const t = el('table', { class: 'table' });
  t.append(el('thead', {}, el('tr', {}, ...headings.map((h) => el('th', { scope: 'col', text: h })))));
  const body = el('tbody');
  t.append(body);
  const wrap = el('div', { class: 'table-wrap', tabIndex: 0, role: 'region', 'aria-label': `${label} (table)` }, t);
  return { wrap, body };
}

// localInput is a datetime-local control's value for a time.
const localInput = (d) => {
  const x = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return x.toISOString().slice(0, 16);
};

export const VIEWS = {
  // A policy's versions compared: two versions chosen, the lines of their
  // documents that differ, with context.
  policyDiff({ api, el, showError, card, item }) {
    const form = el('form', { class: 'filters', 'data-policy-diff': '' });
    const from = el('select', { id: 'diff-from', name: 'from' });
    const to = el('select', { id: 'diff-to', name: 'to' });
    form.append(el('label', { htmlFor: 'diff-from', text: 'From version' }), from, el('label', { htmlFor: 'diff-to', text: 'To version' }), to);
    form.addEventListener('submit', (e) => e.preventDefault());
    const out = el('div', { id: 'policy-diff', 'aria-live': 'polite' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(form, out, error);
    let versions = [];
    const draw = () => {
      const a = versions.find((v) => String(v.version) === from.value);
      const b = versions.find((v) => String(v.version) === to.value);
      if (!a || !b) {
        out.replaceChildren(el('p', { class: 'muted', text: versions.length < 2 ? 'Only one version so far: nothing to compare.' : 'Choose two versions.' }));
        return;
      }
      const d = diffTable(el, pretty(a.policy), pretty(b.policy), `Version ${a.version} to version ${b.version}`);
      out.replaceChildren(d.node);
      out.dataset.added = String(d.added);
      out.dataset.removed = String(d.removed);
    };
    from.addEventListener('change', draw);
    to.addEventListener('change', draw);
    const reload = async () => {
      try {
        versions = (await api.get(`/api/v1/gateway/policies/${encodeURIComponent(item.id)}/versions?limit=100`)) || [];
        versions.sort((x, y) => x.version - y.version);
        const keep = [from.value, to.value];
        const opts = () => versions.map((v) => el('option', { value: String(v.version), text: `${v.version} (${v.kind.replaceAll('_', ' ')}, ${when(v.created_at)})` }));
        from.replaceChildren(...opts());
        to.replaceChildren(...opts());
        const has = (x) => versions.some((v) => String(v.version) === x);
        // By default the latest change: the version before the newest, and the newest.
        from.value = has(keep[0]) ? keep[0] : String((versions[versions.length - 2] || versions[0] || {}).version ?? '');
        to.value = has(keep[1]) && keep[1] !== String(versions[versions.length - 2]?.version) ? keep[1] : String((versions[versions.length - 1] || {}).version ?? '');
        draw();
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    reload();
    return reload;
  },

  // A backtest: the recorded traffic of a period replayed against the
  // policy's current version, or against a draft pasted as JSON.
  policyBacktest({ api, el, showError, card, item }) {
    const now = new Date();
    const form = el('form', { class: 'backtest-form', 'data-backtest': '' });
    const from = el('input', { id: 'backtest-from', name: 'from', type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() - 86400_000)) });
    const to = el('input', { id: 'backtest-to', name: 'to', type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() + 3600_000)) });
    const draft = el('textarea', { id: 'backtest-draft', name: 'policy', rows: 3, 'aria-describedby': 'backtest-draft-help' });
    const run = el('button', { type: 'submit', class: 'small primary', text: 'Run the backtest', 'data-tool': 'backtest' });
    form.append(
      el('div', { class: 'field' }, el('label', { htmlFor: 'backtest-from', text: 'From' }), from),
      el('div', { class: 'field' }, el('label', { htmlFor: 'backtest-to', text: 'To' }), to),
      el('div', { class: 'field wide' }, el('label', { htmlFor: 'backtest-draft', text: 'Draft policy (JSON, optional)' }), draft,
        el('p', { id: 'backtest-draft-help', class: 'muted hint', text: 'Empty: the current version. A draft is only evaluated, never saved.' })),
      el('div', { class: 'field' }, run));
    const out = el('div', { id: 'backtest-result', role: 'status' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(form, out, error);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { from: new Date(from.value).toISOString(), to: new Date(to.value).toISOString() };
      if (draft.value.trim()) {
        try {
          body.policy = JSON.parse(draft.value);
        } catch (err) {
          showError(error, `The draft is not JSON: ${err.message}`);
          draft.setAttribute('aria-invalid', 'true');
          draft.focus();
          return;
        }
      }
      draft.removeAttribute('aria-invalid');
      run.disabled = true;
      out.replaceChildren(el('p', { class: 'muted', text: 'Replaying…' }));
      try {
        const r = await api.post(`/api/v1/gateway/policies/${encodeURIComponent(item.id)}/backtest`, body);
        out.dataset.from = body.from;
        out.dataset.to = body.to;
        out.dataset.draft = body.policy ? JSON.stringify(body.policy) : '';
        out.replaceChildren(
          el('p', { text: `${r.draft ? 'The draft' : `Version ${r.policy_version}`} against ${plural(r.requests, 'recorded request')} from ${when(body.from)} to ${when(body.to)}:` }),
          stats(el, [
            ['Evaluated', r.evaluated.toLocaleString(), 'evaluated'], ['Skipped (content not kept)', r.skipped_no_content.toLocaleString(), 'skipped'],
            ['Would block', r.would_block.toLocaleString(), 'would_block'], ['Were blocked', r.was_blocked.toLocaleString(), 'was_blocked'],
            ['Newly blocked', r.newly_blocked.toLocaleString(), 'newly_blocked'], ['Newly allowed', r.newly_allowed.toLocaleString(), 'newly_allowed'],
          ], { 'data-backtest-stats': '' }));
        const codes = Object.entries(r.would_block_by_code || {});
        if (codes.length) {
          out.append(el('p', { class: 'muted', text: `Would block by cause: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}` }));
        }
        if ((r.changes || []).length) {
          const t = table(el, 'Changed outcomes', ['Request', 'Was', 'Would be', 'Cause']);
          for (const c of r.changes) {
            t.body.append(el('tr', { 'data-id': c.request_id },
              el('td', {}, el('a', { href: `/gateway/requests/${encodeURIComponent(c.request_id)}`, 'data-nav': '', text: c.request_id })),
              el('td', { text: c.was }), el('td', { text: c.would }), el('td', { text: c.error_code || '–' })));
          }
          out.append(el('h3', { class: 'sub-title', text: 'Requests whose outcome would change' }), t.wrap);
        } else {
          out.append(el('p', { class: 'muted', text: 'No recorded request would end differently.' }));
        }
        showError(error, null);
      } catch (err) {
        out.replaceChildren();
        showError(error, err);
      } finally {
        run.disabled = false;
      }
    });
    return () => {};
  },

  // An MCP server's tools as last fetched, each with its pin, and for a
  // tool that drifted from its approved pin what changed (the latest drift).
  mcpTools({ api, el, can, showError, card, item }) {
    const bar = el('div', { class: 'tools' });
    const status = el('p', { class: 'muted', role: 'status' });
    let scan = null;
    if (can('aegis:write')) {
      scan = el('button', { type: 'button', class: 'small', text: 'Scan now', 'data-tool': 'scan' });
      bar.append(scan);
    }
    bar.append(status);
    const t = table(el, 'Tools', ['Tool', 'Pin state', 'Scan', 'Pin', 'Updated']);
    const drifts = el('div', { id: 'mcp-drifts' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(bar, t.wrap, drifts, error);
    const FIELD = { description: 'Description', input_schema: 'Input schema', output_schema: 'Output schema', added: 'Added', removed: 'Removed' };
    const draw = (v) => {
      const tools = v.tools || [];
      t.body.replaceChildren(...tools.map((x) => el('tr', { 'data-id': x.name, 'data-state': x.state },
        el('td', {}, el('strong', { text: x.name }), el('br'), el('span', { class: 'muted small-text', text: x.description || '' })),
        el('td', {}, el('span', { class: `pin pin-${x.state}`, text: x.state })),
        el('td', { text: x.severity ? `${x.severity}: ${plural((x.findings || []).length, 'finding')}` : 'clean' }),
        el('td', { title: x.hash }, el('code', { text: `${x.hash.replace(/^sha256:/, '').slice(0, 12)}…` })),
        el('td', { text: when(x.updated_at) }))));
      if (!tools.length) t.body.append(el('tr', {}, el('td', { colSpan: 5, class: 'muted', text: 'No tools fetched yet: they are listed when the server is approved or scanned.' })));
      drifts.replaceChildren();
      for (const x of tools.filter((y) => (y.drifts || []).length)) {
        const d = x.drifts[0];
        const box = el('section', { class: 'drift', 'data-drift': x.name, 'aria-label': `Drift of ${x.name}` });
        box.append(el('h3', { class: 'sub-title', text: `${x.name}: what changed against its pin` }),
          el('p', { class: 'muted', text: `Seen ${when(d.at)}. Approved pin ${d.approved_hash.replace(/^sha256:/, '').slice(0, 12)}…, now ${d.new_hash.replace(/^sha256:/, '').slice(0, 12)}…${x.state === 'changed' ? '; the tool is blocked until the server is approved again.' : '.'}` }));
        if ((x.findings || []).length) {
          box.append(el('p', { class: 'muted', text: 'The scan\u2019s findings on the new definition:' }), el('ul', { class: 'findings' },
            ...x.findings.map((f) => el('li', { text: `${f.severity}: ${f.category.replaceAll('_', ' ')} in the ${f.field.replaceAll('_', ' ')} (${f.technique || 'no ATLAS technique'})${f.evidence ? `: \u201c${f.evidence}\u201d` : ''}` }))));
        }
        for (const c of d.changes || []) {
          const schema = c.field.endsWith('_schema');
          const before = schema ? pretty(c.before || '') : (c.before || '');
          const after = schema ? pretty(c.after || '') : (c.after || '');
          box.append(diffTable(el, before, after, `${x.name}, ${FIELD[c.field] || c.field}`).node);
        }
        drifts.append(box);
      }
    };
    const reload = async () => {
      try {
        draw(await api.get(`/api/v1/aegis/mcp/servers/${encodeURIComponent(item.id)}/tools`));
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    if (scan) {
      scan.addEventListener('click', async () => {
        scan.disabled = true;
        status.textContent = 'Fetching the server\u2019s tools…';
        try {
          const v = await api.post(`/api/v1/aegis/mcp/servers/${encodeURIComponent(item.id)}/tools/scan`);
          draw(v);
          const changed = (v.tools || []).filter((x) => x.state === 'changed').length;
          status.textContent = `Scanned ${plural((v.tools || []).length, 'tool')}: ${changed ? `${changed} changed since approval` : 'none changed since approval'}.`;
          showError(error, null);
        } catch (err) {
          status.textContent = '';
          showError(error, err);
        } finally {
          scan.disabled = false;
        }
      });
    }
    reload();
    return reload;
  },

  // Evidence upload: a file (multipart, streamed by the API into its blob
  // store) with its description; the SHA-256 the API recorded is shown and
  // compared with the one computed here.
  evidenceUpload({ api, el, showError, card }) {
    const form = el('form', { class: 'create-form', 'data-upload': 'evidence' });
    const fs = el('fieldset');
    fs.append(el('legend', { text: 'Upload a file' }));
    const input = (name, label, attrs = {}) => {
      const id = `upload-${name}`;
      const node = attrs.textarea ? el('textarea', { id, name, rows: 2 }) : el('input', { id, name, type: 'text', autocomplete: 'off', ...attrs });
      fs.append(el('div', { class: 'field' }, el('label', { htmlFor: id, text: label }), node));
      return node;
    };
    const file = input('file', 'File (at most 100 MB)', { type: 'file', required: true });
    const name = input('name', 'Name');
    const description = input('description', 'Description');
    const expires = input('expires_at', 'Expires on', { type: 'date' });
    const submit = el('button', { type: 'submit', class: 'primary', text: 'Upload' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    fs.append(el('div', { class: 'field' }, submit), error);
    form.append(fs);
    const out = el('p', { class: 'tool-result', role: 'status', id: 'upload-result' });
    card.append(form, out);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = file.files && file.files[0];
      if (!f) {
        showError(error, 'Choose a file.');
        file.focus();
        return;
      }
      submit.disabled = true;
      out.textContent = `Uploading ${f.name}…`;
      try {
        const local = await sha256(f);
        const body = new FormData();
        body.append('name', name.value.trim() || f.name);
        if (description.value.trim()) body.append('description', description.value.trim());
        if (expires.value) body.append('expires_at', new Date(`${expires.value}T23:59:59Z`).toISOString());
        body.append('file', f, f.name);
        const x = await api.post('/api/v1/compliance/evidence', body);
        out.dataset.id = x.id;
        out.dataset.sha256 = x.sha256;
        const check = !local ? 'not checked in this browser' : local === x.sha256 ? 'the same as computed here' : `NOT the ${local} computed here`;
        out.textContent = `Uploaded \u201c${x.name}\u201d (${plural(x.size, 'byte')}). SHA-256 ${x.sha256}: ${check}.`;
        out.classList.toggle('error', !!local && local !== x.sha256);
        form.reset();
        showError(error, null);
      } catch (err) {
        out.textContent = '';
        showError(error, err);
      } finally {
        submit.disabled = false;
      }
    });
    return () => {};
  },

  // The risk heatmap: open risks by likelihood × impact, each cell's count
  // and level written in it (its colour says the same).
  riskHeatmap({ api, el, showError, card }) {
    const form = el('form', { class: 'filters' });
    const residual = el('input', { id: 'heatmap-residual', type: 'checkbox', name: 'residual' });
    form.append(el('div', { class: 'field check' }, residual, el('label', { htmlFor: 'heatmap-residual', text: 'Residual ratings (after treatment)' })));
    form.addEventListener('submit', (e) => e.preventDefault());
    const wrap = el('div', { class: 'table-wrap', tabIndex: 0, role: 'region', 'aria-label': 'Risk heatmap (table)' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(form, wrap, error);
    const reload = async () => {
      try {
        const cells = (await api.get(`/api/v1/risk/heatmap${residual.checked ? '?residual=true' : ''}`)) || [];
        const at = new Map(cells.map((c) => [`${c.likelihood}:${c.impact}`, c]));
        const total = cells.reduce((n, c) => n + c.count, 0);
        const t = el('table', { class: 'heatmap', id: 'risk-heatmap' });
        t.append(el('caption', { text: `${residual.checked ? 'Residual' : 'Inherent'} ratings of ${plural(total, 'open risk')}: likelihood (rows) by impact (columns)` }));
        // Short visible headings (a phone's width), read in full by a screen reader.
        const axis = (name, n) => [el('span', { class: 'hm-axis', text: `${name} ` }), String(n)];
        t.append(el('thead', {}, el('tr', {}, el('td', { class: 'corner', 'aria-hidden': 'true', text: 'Likelihood \u2193 Impact \u2192' }),
          ...[1, 2, 3, 4, 5].map((i) => el('th', { scope: 'col' }, ...axis('Impact', i))))));
        const body = el('tbody');
        for (let l = 5; l >= 1; l--) {
          const tr = el('tr', {}, el('th', { scope: 'row' }, ...axis('Likelihood', l)));
          for (let i = 1; i <= 5; i++) {
            const c = at.get(`${l}:${i}`) || { count: 0, level: '', risk_ids: [] };
            tr.append(el('td', { class: `hm hm-${c.level || 'none'}${c.count ? ' filled' : ''}`, 'data-likelihood': String(l), 'data-impact': String(i), 'data-count': String(c.count) },
              el('span', { class: 'hm-count', text: String(c.count) }), el('span', { class: 'hm-level', text: c.level || '–' })));
          }
          body.append(tr);
        }
        t.append(body);
        wrap.replaceChildren(t);
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    residual.addEventListener('change', reload);
    reload();
    return reload;
  },

  // The portfolio: every modelled risk (or the register's FAIR risks)
  // simulated together; its aggregate loss exceedance curve is drawn with
  // the risk pages' chart. The latest run is kept in the address (?portfolio=).
  riskPortfolio({ api, el, can, showError, card }) {
    const bar = el('form', { class: 'tools', 'data-portfolio': '' });
    let run = null;
    const iterations = el('select', { id: 'portfolio-iterations', name: 'iterations' },
      ...[10000, 50000, 100000].map((n) => el('option', { value: String(n), text: n.toLocaleString() })));
    if (can('risk:write')) {
      run = el('button', { type: 'submit', class: 'small primary', text: 'Simulate the portfolio', 'data-tool': 'portfolio' });
      bar.append(el('label', { htmlFor: 'portfolio-iterations', text: 'Years simulated' }), iterations, run);
    }
    const summary = el('div', { id: 'portfolio-summary' });
    const chart = el('div', { class: 'chart', id: 'portfolio-lec' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(bar, summary, chart, error);
    const draw = (sim) => {
      const r = sim.results || {};
      summary.dataset.id = sim.id;
      summary.replaceChildren(stats(el, [['Risks', String((sim.risk_ids || []).length), 'risks'], ['Mean ALE', money(r.mean_ale), 'mean_ale'],
        ['P90', money(r.p90), 'p90'], ['P99', money(r.p99), 'p99'], ['Years', (sim.iterations || 0).toLocaleString(), 'iterations'], ['Simulated', when(sim.at)]]));
      lossExceedanceChart(chart, r, `the portfolio of ${plural((sim.risk_ids || []).length, 'risk')}`);
    };
    const reload = async () => {
      const id = new URLSearchParams(location.search).get('portfolio');
      if (!id) {
        summary.replaceChildren();
        lineChart(chart, [], { empty: run ? 'Not simulated yet: every risk with a FAIR model is simulated together.' : 'No portfolio simulation shown: one is made by someone with risk:write.' });
        return;
      }
      try {
        draw(await api.get(`/api/v1/risk/simulations/${encodeURIComponent(id)}`));
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    bar.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!run) return;
      run.disabled = true;
      try {
        const sim = await api.post('/api/v1/risk/portfolio/simulate', { iterations: Number(iterations.value) });
        const q = new URLSearchParams(location.search);
        q.set('portfolio', sim.id);
        history.replaceState(history.state, '', `${location.pathname}?${q}`);
        draw(sim);
        showError(error, null);
      } catch (err) {
        showError(error, err);
      } finally {
        run.disabled = false;
      }
    });
    reload();
    return reload;
  },

  // The licence in force: plan, seats, expiry and which modules serve; a
  // platform administrator installs a signed licence file pasted here.
  license({ api, el, can, showError, card, platformAdmin }) {
    const view = el('div', { id: 'license-view' });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    card.append(view, error);
    const draw = (v) => {
      const l = v.license;
      const seats = v.seats || {};
      view.dataset.status = v.status;
      view.replaceChildren(stats(el, [
        ['Edition', v.edition, 'edition'], ['Status', v.status, 'status'],
        ['Plan', l ? l.plan : 'community', 'plan'], ['Licensee', l ? l.licensee : '–', 'licensee'],
        ['Seats', `${seats.used ?? 0} used of ${seats.licensed ? seats.licensed : 'unlimited'}${seats.over ? ' (over)' : ''}`, 'seats'],
        ['Expires', l ? when(l.expires_at) : 'never', 'expires'], ['Grace ends', v.grace_ends_at ? when(v.grace_ends_at) : '–', 'grace'],
        ['Installed', v.installed_at ? `${when(v.installed_at)}${v.installed_by ? ` by ${v.installed_by}` : ''}` : '–', 'installed'],
      ]));
      if (v.warning) view.append(el('p', { class: 'error', role: 'alert', text: v.warning }));
      const t = table(el, 'Entitlements', ['Module', 'Serves']);
      for (const m of v.modules || []) {
        t.body.append(el('tr', { 'data-id': m.module }, el('td', { text: m.module }),
          el('td', {}, el('span', { class: `result ${m.licensed ? 'r-compliant' : 'r-non_compliant'}`, text: m.licensed ? 'licensed' : 'not licensed' }))));
      }
      view.append(el('h3', { class: 'sub-title', text: 'Entitlements' }), t.wrap);
    };
    const reload = async () => {
      try {
        draw(await api.get('/api/v1/admin/license'));
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    };
    if (can('admin:admin') && platformAdmin()) {
      const form = el('form', { class: 'license-form', 'data-license': '' });
      const text = el('textarea', { id: 'license-file', name: 'license', rows: 5, required: true, spellcheck: false, 'aria-describedby': 'license-help' });
      const install = el('button', { type: 'submit', class: 'primary', text: 'Install' });
      const formError = el('p', { class: 'error', role: 'alert', hidden: true, id: 'license-error' });
      const done = el('p', { class: 'tool-result', role: 'status', id: 'license-result' });
      form.append(el('h3', { class: 'sub-title', text: 'Install a licence' }),
        el('label', { htmlFor: 'license-file', text: 'Licence file (paste its JSON)' }), text,
        el('p', { id: 'license-help', class: 'muted hint', text: 'The signed file (format astra-license/1) as it was sent; every instance enforces it at once.' }),
        el('div', { class: 'tools' }, install), formError, done);
      card.append(form);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        done.textContent = '';
        let file;
        try {
          file = JSON.parse(text.value);
        } catch (err) {
          text.setAttribute('aria-invalid', 'true');
          showError(formError, `This is not a licence file: it is not JSON (${err.message}).`);
          text.focus();
          return;
        }
        install.disabled = true;
        try {
          const v = await api.request('PUT', '/api/v1/admin/license', file).then((j) => j.data);
          text.removeAttribute('aria-invalid');
          text.value = '';
          draw(v);
          done.textContent = `Installed licence ${v.license ? v.license.id : ''} (${v.license ? v.license.plan : v.edition}).`;
          showError(formError, null);
        } catch (err) {
          text.setAttribute('aria-invalid', 'true');
          showError(formError, err);
        } finally {
          install.disabled = false;
        }
      });
    }
    reload();
    return reload;
  },
};
