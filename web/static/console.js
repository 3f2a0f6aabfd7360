// The console: a sidebar over every module and a page per module, each a
// client of the public API (no private endpoints). Pages are declared as
// data (MODULES): sections list a collection with filters, cursor paging and
// total_count, link rows to a detail page, and offer a create form to
// callers whose permissions allow it. Hiding a control is a convenience, never
// the guard: the API checks every write. Pages refresh from the live stream
// (onEvent), never by polling.

const LIMIT = 25;

const when = (v) => (v ? new Date(v).toLocaleString() : '–');
const list = (v) => (Array.isArray(v) ? v.join(', ') : v);
const yes = (v) => (v ? 'yes' : 'no');

/**
 * Each module: its path, label, read permission, the live channels that
 * refresh it, and its sections. A section: the collection it lists, its
 * columns ([field, heading, format?]), filters (query parameters with their
 * enums), the detail page of a row, and a create form.
 */
export const MODULES = [
  {
    path: '/gateway', label: 'Gateway', perm: 'gateway:read', channels: ['gateway.'],
    sections: [
      {
        id: 'requests', title: 'Request log', list: '/api/v1/gateway/requests', item: '/api/v1/gateway/requests/',
        columns: [['id', 'Request'], ['time', 'Time', when], ['endpoint', 'Endpoint'], ['model', 'Model'], ['outcome', 'Outcome'], ['blocked_by', 'Blocked by'], ['latency_ms', 'Latency (ms)']],
        filters: [{ name: 'outcome', label: 'Outcome', options: ['completed', 'blocked', 'failed'] }],
      },
      {
        id: 'policies', title: 'Policies', list: '/api/v1/gateway/policies', item: '/api/v1/gateway/policies/',
        columns: [['name', 'Name'], ['version', 'Version'], ['updated_at', 'Updated', when]],
        create: { perm: 'gateway:write', post: '/api/v1/gateway/policies', fields: [
          { name: 'name', label: 'Name', required: true },
          { name: 'description', label: 'Description' },
        ] },
      },
      {
        id: 'providers', title: 'Providers', list: '/api/v1/gateway/providers', item: '/api/v1/gateway/providers/',
        columns: [['name', 'Name'], ['kind', 'Kind'], ['models', 'Models', list], ['credentials_set', 'Credentials', yes]],
      },
      {
        id: 'budgets', title: 'Budgets', list: '/api/v1/gateway/budgets',
        columns: [['subject', 'Subject'], ['period', 'Period'], ['max_cost_usd', 'Max USD'], ['used_cost_usd', 'Used USD'], ['exceeded', 'Exceeded', yes]],
      },
    ],
  },
  {
    path: '/aegis', label: 'AEGIS', perm: 'aegis:read', channels: ['aegis.'],
    sections: [
      {
        id: 'agents', title: 'Agents', list: '/api/v1/aegis/agents', item: '/api/v1/aegis/agents/',
        columns: [['name', 'Name'], ['owner', 'Owner'], ['model', 'Model'], ['autonomy_level', 'Autonomy'], ['status', 'Status'], ['anomalies_7d', 'Anomalies (7 d)']],
        filters: [{ name: 'status', label: 'Status', options: ['active', 'quarantined', 'killed', 'retired'] }],
        create: { perm: 'aegis:write', post: '/api/v1/aegis/agents', fields: [
          { name: 'name', label: 'Name', required: true },
          { name: 'owner', label: 'Owner' },
          { name: 'model', label: 'Model' },
          { name: 'autonomy_level', label: 'Autonomy', options: ['assistive', 'supervised', 'autonomous'] },
        ] },
      },
      {
        id: 'alerts', title: 'Alerts', list: '/api/v1/aegis/alerts', item: '/api/v1/aegis/alerts/',
        columns: [['title', 'Alert'], ['severity', 'Severity'], ['status', 'Status'], ['count', 'Count'], ['last_seen', 'Last seen', when]],
        filters: [{ name: 'status', label: 'Status', options: ['open', 'acknowledged', 'resolved'] }],
      },
      {
        id: 'guardrails', title: 'Guardrails', list: '/api/v1/aegis/guardrails', item: '/api/v1/aegis/guardrails/',
        columns: [['name', 'Name'], ['type', 'Type'], ['action', 'Action'], ['enabled', 'Enabled', yes], ['version', 'Version']],
      },
      {
        id: 'mcp-servers', title: 'MCP servers', list: '/api/v1/aegis/mcp/servers', item: '/api/v1/aegis/mcp/servers/',
        columns: [['name', 'Server'], ['url', 'URL'], ['approval_state', 'Approval'], ['trust_level', 'Trust'], ['flagged', 'Flagged', yes]],
        filters: [{ name: 'approval_state', label: 'Approval', options: ['quarantined', 'approved', 'rejected'] }],
      },
      {
        id: 'mcp-decisions', title: 'MCP decisions', list: '/api/v1/aegis/mcp/decisions',
        columns: [['at', 'Time', when], ['outcome', 'Outcome'], ['rule_name', 'Rule'], ['reason', 'Reason'], ['latency_us', 'µs']],
        filters: [{ name: 'outcome', label: 'Outcome', options: ['allowed', 'blocked'] }],
      },
      {
        id: 'shadow-ai', title: 'Shadow AI findings', list: '/api/v1/aegis/shadow-ai/findings', item: '/api/v1/aegis/shadow-ai/findings/',
        columns: [['service', 'Service'], ['service_host', 'Host'], ['category', 'Category'], ['attribution', 'Attribution'], ['severity', 'Severity'], ['requests', 'Requests'], ['last_seen', 'Last seen', when]],
        filters: [{ name: 'state', label: 'State', options: ['detected', 'sanctioned', 'unsanctioned', 'blocked'] }],
      },
    ],
  },
  {
    path: '/compliance', label: 'Compliance', perm: 'compliance:read', channels: ['compliance.'],
    sections: [
      {
        id: 'frameworks', title: 'Frameworks', list: '/api/v1/compliance/frameworks', item: '/api/v1/compliance/frameworks/',
        columns: [['name', 'Framework'], ['version', 'Version'], ['requirements', 'Requirements'], ['adopted', 'Adopted', yes]],
      },
      {
        id: 'assessments', title: 'Assessments', list: '/api/v1/compliance/assessments', item: '/api/v1/compliance/assessments/',
        columns: [['name', 'Assessment'], ['status', 'Status'], ['progress', 'Progress'], ['score', 'Score'], ['started_at', 'Started', when]],
      },
      {
        id: 'evidence', title: 'Evidence', list: '/api/v1/compliance/evidence', item: '/api/v1/compliance/evidence/',
        columns: [['name', 'Name'], ['kind', 'Kind'], ['filename', 'File'], ['expires_at', 'Expires', when], ['expired', 'Expired', yes]],
      },
    ],
  },
  {
    path: '/risk', label: 'Risk', perm: 'risk:read', channels: ['risk.'],
    sections: [
      {
        id: 'risks', title: 'Risk register', list: '/api/v1/risk/risks', item: '/api/v1/risk/risks/',
        columns: [['title', 'Risk'], ['category', 'Category'], ['level', 'Level'], ['status', 'Status'], ['last_mean_ale', 'Mean ALE']],
        create: { perm: 'risk:write', post: '/api/v1/risk/risks', fields: [
          { name: 'title', label: 'Title', required: true },
          { name: 'likelihood', label: 'Likelihood (1–5)', type: 'number', required: true, min: 1, max: 5 },
          { name: 'impact', label: 'Impact (1–5)', type: 'number', required: true, min: 1, max: 5 },
        ] },
      },
    ],
  },
  {
    path: '/cybertwins', label: 'CyberTwins', perm: 'cybertwins:read', channels: ['cybertwins.'],
    sections: [
      {
        id: 'assets', title: 'Assets', list: '/api/v1/cybertwins/assets', item: '/api/v1/cybertwins/assets/',
        columns: [['name', 'Asset'], ['type', 'Type'], ['criticality', 'Criticality'], ['crown_jewel', 'Crown jewel', yes], ['entry_point', 'Entry point', yes], ['owner', 'Owner']],
        filters: [{ name: 'type', label: 'Type', options: ['model', 'agent', 'dataset', 'service', 'host', 'identity', 'vector_store', 'api_key', 'mcp_server', 'provider', 'application', 'network'] }],
      },
      {
        id: 'relationships', title: 'Relationships', list: '/api/v1/cybertwins/relationships',
        columns: [['source', 'From'], ['type', 'Relationship'], ['target', 'To'], ['exploitability', 'Exploitability']],
        filters: [{ name: 'type', label: 'Relationship', options: ['connects_to', 'has_access', 'runs_on', 'stores', 'calls', 'trusts'] }],
      },
      {
        id: 'attack-paths', title: 'Attack path computations', list: '/api/v1/cybertwins/attack-paths', item: '/api/v1/cybertwins/attack-paths/',
        columns: [['id', 'Computation'], ['k', 'k'], ['paths', 'Paths', (p) => (Array.isArray(p) ? p.length : p)], ['took_ms', 'ms'], ['computed_at', 'Computed', when]],
      },
      {
        id: 'campaigns', title: 'ATLAS campaigns', list: '/api/v1/cybertwins/campaigns', item: '/api/v1/cybertwins/campaigns/',
        columns: [['name', 'Campaign'], ['simulated_at', 'Simulated', when], ['simulated_by', 'By']],
      },
    ],
  },
  {
    path: '/resilience', label: 'Resilience', perm: 'resilience:read', channels: ['resilience.'],
    sections: [
      {
        id: 'objectives', title: 'Objectives', list: '/api/v1/resilience/objectives',
        columns: [['service_id', 'Service'], ['rto_seconds', 'RTO (s)'], ['rpo_seconds', 'RPO (s)'], ['updated_at', 'Updated', when]],
      },
      {
        id: 'scenarios', title: 'Scenarios', list: '/api/v1/resilience/scenarios', item: '/api/v1/resilience/scenarios/',
        columns: [['name', 'Scenario'], ['disruptions', 'Disruptions', (d) => (Array.isArray(d) ? d.length : d)], ['updated_at', 'Updated', when]],
      },
      {
        id: 'simulations', title: 'Simulations', list: '/api/v1/resilience/simulations', item: '/api/v1/resilience/simulations/',
        columns: [['id', 'Simulation'], ['scenario_id', 'Scenario'], ['iterations', 'Iterations'], ['completed_at', 'Completed', when]],
      },
      {
        id: 'experiments', title: 'Chaos experiments', list: '/api/v1/resilience/chaos/experiments', item: '/api/v1/resilience/chaos/experiments/',
        columns: [['name', 'Experiment'], ['status', 'Status'], ['starts_at', 'Started', when], ['ends_at', 'Ends', when]],
        filters: [{ name: 'status', label: 'Status', options: ['running', 'completed', 'aborted'] }],
      },
    ],
  },
  {
    path: '/data-gov', label: 'Data governance', perm: 'data_gov:read', channels: ['data_gov.'],
    sections: [
      {
        id: 'datasets', title: 'Datasets', list: '/api/v1/data-gov/datasets', item: '/api/v1/data-gov/datasets/',
        columns: [['name', 'Dataset'], ['system', 'System'], ['owner', 'Owner'], ['sensitivity', 'Sensitivity'], ['lawful_basis', 'Lawful basis']],
        create: { perm: 'data_gov:write', post: '/api/v1/data-gov/datasets', fields: [
          { name: 'name', label: 'Name', required: true },
          { name: 'system', label: 'System' },
          { name: 'owner', label: 'Owner' },
        ] },
      },
      {
        id: 'dsar', title: 'Data subject requests', list: '/api/v1/data-gov/dsar', item: '/api/v1/data-gov/dsar/',
        columns: [['type', 'Type'], ['subject_email', 'Subject'], ['status', 'Status'], ['due_at', 'Due', when], ['overdue', 'Overdue', yes]],
      },
    ],
  },
  {
    path: '/bastion-ai', label: 'BASTION AI', perm: 'bastion_ai:read', channels: ['bastion_ai.'],
    sections: [
      {
        id: 'conversations', title: 'Conversations', list: '/api/v1/bastion-ai/conversations', item: '/api/v1/bastion-ai/conversations/',
        columns: [['title', 'Conversation'], ['messages', 'Messages', (m) => (Array.isArray(m) ? m.length : m)], ['updated_at', 'Updated', when]],
      },
      {
        id: 'documents', title: 'Indexed documents', list: '/api/v1/bastion-ai/rag/documents',
        columns: [['title', 'Document'], ['kind', 'Kind'], ['chunks', 'Chunks'], ['bytes', 'Bytes'], ['created_at', 'Indexed', when]],
        filters: [{ name: 'kind', label: 'Kind', options: ['policy', 'evidence', 'procedure', 'upload', 'other'] }],
      },
    ],
  },
  {
    path: '/platform', label: 'Platform', perm: 'platform:read', channels: ['platform.'],
    sections: [
      {
        id: 'notifications', title: 'Notifications', list: '/api/v1/platform/notifications',
        columns: [['title', 'Notification'], ['severity', 'Severity'], ['read', 'Read', yes], ['created_at', 'Time', when]],
      },
      {
        id: 'reports', title: 'Reports', list: '/api/v1/platform/reports', item: '/api/v1/platform/reports/',
        columns: [['kind', 'Report'], ['format', 'Format'], ['status', 'Status'], ['percent', '%'], ['sha256', 'SHA-256'], ['created_at', 'Requested', when]],
        filters: [{ name: 'status', label: 'Status', options: ['queued', 'running', 'done', 'failed'] }],
        create: { perm: 'platform:write', post: '/api/v1/platform/reports', fields: [
          { name: 'kind', label: 'Kind', required: true, options: ['trust_summary', 'risk_register', 'audit_trail'] },
          { name: 'format', label: 'Format', required: true, options: ['pdf', 'csv', 'json'] },
        ] },
      },
      {
        id: 'workflows', title: 'Approval workflows', list: '/api/v1/platform/workflows', item: '/api/v1/platform/workflows/',
        columns: [['name', 'Workflow'], ['trigger', 'Trigger'], ['approver_role', 'Approver'], ['approvals', 'Approvals'], ['timeout_seconds', 'Timeout (s)']],
      },
      {
        id: 'integrations', title: 'Integrations', list: '/api/v1/platform/integrations', item: '/api/v1/platform/integrations/',
        columns: [['name', 'Integration'], ['url', 'URL'], ['state', 'State'], ['event_types', 'Events', list]],
        filters: [{ name: 'state', label: 'State', options: ['active', 'disabled'] }],
      },
    ],
  },
  {
    path: '/admin', label: 'Administration', perm: 'iam:read', channels: ['iam.', 'admin.'],
    sections: [
      {
        id: 'users', title: 'Users', list: '/api/v1/iam/users', item: '/api/v1/iam/users/',
        columns: [['email', 'E-mail'], ['name', 'Name'], ['role', 'Role'], ['status', 'Status']],
      },
      {
        id: 'api-keys', title: 'API keys', list: '/api/v1/iam/api-keys',
        columns: [['name', 'Name'], ['prefix', 'Prefix'], ['permissions', 'Permissions', list], ['revoked', 'Revoked', yes], ['expires_at', 'Expires', when]],
      },
      {
        id: 'roles', title: 'Roles', list: '/api/v1/iam/roles',
        columns: [['name', 'Role'], ['builtin', 'Built in', yes], ['permissions', 'Permissions', (p) => (Array.isArray(p) ? `${p.length}` : p)]],
      },
      {
        id: 'audit', title: 'Audit trail', list: '/api/v1/admin/audit/events', perm: 'admin:read',
        columns: [['position', 'Position'], ['type', 'Event'], ['subject', 'Subject'], ['actor', 'Actor'], ['time', 'Time', when]],
      },
    ],
  },
];

/**
 * mountConsole wires the sidebar and the router.
 * @param {object} ui the page's helpers: api, el, can, showError, and
 *   showOverview(bool), which shows the overview or hides it for a module page
 */
export function mountConsole(ui) {
  const { api, el, can, showError } = ui;
  const nav = document.getElementById('sidebar');
  const page = document.getElementById('console-page');
  let current = null; // { module, sections: [{section, reload}] }
  let refresh = null;

  function renderNav() {
    nav.replaceChildren();
    const ul = el('ul', { class: 'nav-list' });
    ul.append(el('li', {}, el('a', { href: '/', 'data-nav': '', text: 'Overview' })));
    for (const m of MODULES) {
      if (!can(m.perm)) continue; // a convenience: the API refuses what is not allowed
      ul.append(el('li', {}, el('a', { href: m.path, 'data-nav': '', text: m.label })));
    }
    nav.append(ul);
    markCurrent();
  }

  function markCurrent() {
    const path = location.pathname;
    for (const a of nav.querySelectorAll('a[data-nav]')) {
      const href = a.getAttribute('href');
      const here = href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
      if (here) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  function go(path) {
    if (path !== location.pathname) history.pushState({}, '', path);
    route();
  }

  function route() {
    markCurrent();
    const path = location.pathname;
    const m = MODULES.find((x) => path === x.path || path.startsWith(`${x.path}/`));
    if (!m) {
      current = null;
      page.hidden = true;
      ui.showOverview(true);
      document.title = 'ASTRA BASTION · Overview';
      return;
    }
    ui.showOverview(false);
    page.hidden = false;
    document.title = `ASTRA BASTION · ${m.label}`;
    const rest = path.slice(m.path.length + 1).split('/').filter(Boolean);
    if (rest.length === 2) renderDetail(m, rest[0], decodeURIComponent(rest[1]));
    else renderModule(m);
    page.focus();
  }

  function renderModule(m) {
    page.replaceChildren(el('h1', { class: 'page-title', text: m.label }));
    if (!can(m.perm)) {
      page.append(el('p', { class: 'error', role: 'alert', text: `You do not have ${m.perm}.` }));
      current = null;
      return;
    }
    current = { module: m, sections: [] };
    for (const s of m.sections) {
      if (s.perm && !can(s.perm)) continue;
      current.sections.push(renderSection(m, s));
    }
  }

  function renderSection(m, s) {
    const headingId = `sec-${m.path.slice(1)}-${s.id}`;
    const card = el('section', { class: 'card console-card', 'aria-labelledby': headingId, 'data-section': s.id });
    const count = el('span', { class: 'muted count', 'data-testid': `${s.id}-count` });
    card.append(el('div', { class: 'card-head' }, el('h2', { id: headingId, text: s.title }), count));
    const query = {};
    if (s.filters) {
      const form = el('form', { class: 'filters' });
      for (const f of s.filters) {
        const id = `${headingId}-${f.name}`;
        const sel = el('select', { id, name: f.name });
        sel.append(el('option', { value: '', text: 'Any' }), ...f.options.map((o) => el('option', { value: o, text: o })));
        sel.addEventListener('change', () => { query[f.name] = sel.value; reload(); });
        form.append(el('label', { htmlFor: id, text: f.label }), sel);
      }
      form.addEventListener('submit', (e) => e.preventDefault());
      card.append(form);
    }
    const table = el('table', { class: 'table' });
    const head = el('tr', {}, ...s.columns.map(([, h]) => el('th', { scope: 'col', text: h })));
    table.append(el('thead', {}, head));
    const body = el('tbody');
    table.append(body);
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    const more = el('button', { type: 'button', class: 'small', hidden: true, text: 'Load more' });
    card.append(el('div', { class: 'table-wrap' }, table), error, more);
    let cursor = '';

    async function load(append) {
      const params = new URLSearchParams({ limit: String(LIMIT) });
      for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
      if (append && cursor) params.set('cursor', cursor);
      try {
        const json = await api.request('GET', `${s.list}?${params}`);
        const rows = (json && json.data) || [];
        const pg = (json && json.meta && json.meta.pagination) || {};
        if (!append) body.replaceChildren();
        for (const r of rows) body.append(row(m, s, r));
        if (!body.children.length) body.append(el('tr', {}, el('td', { colSpan: s.columns.length, class: 'muted', text: 'Nothing here yet.' })));
        cursor = pg.next_cursor || '';
        more.hidden = !pg.has_more;
        count.textContent = pg.total_count !== undefined ? `${pg.total_count} in all` : '';
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    }
    const reload = () => load(false);
    more.addEventListener('click', () => load(true));

    if (s.create && can(s.create.perm)) card.append(createForm(s, reload));
    page.append(card);
    reload();
    return { section: s, reload };
  }

  function row(m, s, r) {
    const tr = el('tr');
    s.columns.forEach(([field, , fmt], i) => {
      const v = r[field];
      const text = v === undefined || v === null || v === '' ? '–' : String(fmt ? fmt(v) : v);
      if (i === 0 && s.item && r.id) {
        tr.append(el('td', {}, el('a', { href: `${m.path}/${s.id}/${encodeURIComponent(r.id)}`, 'data-nav': '', text })));
      } else {
        tr.append(el('td', { text }));
      }
    });
    return tr;
  }

  function createForm(s, reload) {
    const form = el('form', { class: 'create-form', 'data-create': s.id });
    const fs = el('fieldset');
    fs.append(el('legend', { text: `New ${s.title.toLowerCase().replace(/s$/, '')}` }));
    for (const f of s.create.fields) {
      const id = `new-${s.id}-${f.name}`;
      let input;
      if (f.options) {
        input = el('select', { id, name: f.name });
        input.append(el('option', { value: '', text: '–' }), ...f.options.map((o) => el('option', { value: o, text: o })));
      } else {
        input = el('input', { id, name: f.name, type: f.type || 'text', required: !!f.required, autocomplete: 'off' });
        if (f.min !== undefined) input.min = String(f.min);
        if (f.max !== undefined) input.max = String(f.max);
      }
      fs.append(el('div', { class: 'field' }, el('label', { htmlFor: id, text: f.label }), input));
    }
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    fs.append(el('div', { class: 'field' }, el('button', { type: 'submit', class: 'primary', text: 'Create' })), error);
    form.append(fs);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {};
      for (const f of s.create.fields) {
        const v = form.elements[f.name].value.trim();
        if (!v) continue;
        body[f.name] = f.type === 'number' ? Number(v) : v;
      }
      try {
        await api.request('POST', s.create.post, body);
        form.reset();
        showError(error, null);
        reload();
      } catch (err) {
        showError(error, err);
      }
    });
    return form;
  }

  async function renderDetail(m, sectionId, id) {
    const s = m.sections.find((x) => x.id === sectionId);
    current = { module: m, sections: [], detail: { sectionId, id } };
    page.replaceChildren(el('p', {}, el('a', { href: m.path, 'data-nav': '', text: `← ${m.label}` })));
    if (!s || !s.item) {
      page.append(el('p', { class: 'error', role: 'alert', text: 'There is no such page.' }));
      return;
    }
    const title = el('h1', { class: 'page-title', text: `${s.title}: ${id}` });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    page.append(title, error);
    try {
      const item = await api.get(`${s.item}${encodeURIComponent(id)}`);
      const name = item.name || item.title || item.email;
      if (name) title.textContent = `${s.title}: ${name}`;
      const dl = el('dl', { class: 'detail' });
      const nested = [];
      for (const [k, v] of Object.entries(item)) {
        if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => typeof x !== 'object'))) {
          nested.push([k, v]);
          continue;
        }
        const text = v === null || v === undefined ? '' : String(list(v));
        dl.append(el('div', {}, el('dt', { text: k.replaceAll('_', ' ') }), el('dd', { text: text || '–' })));
      }
      const card = el('section', { class: 'card console-card' }, dl);
      for (const [k, v] of nested) {
        card.append(el('h2', { text: k.replaceAll('_', ' ') }), el('pre', { class: 'json', tabindex: '0', text: JSON.stringify(v, null, 2) }));
      }
      page.append(card);
    } catch (err) {
      showError(error, err);
    }
  }

  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[data-nav]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(a.getAttribute('href'));
  });
  window.addEventListener('popstate', route);

  return {
    start() { renderNav(); route(); },
    /** onEvent refreshes the current page when an event of its module arrives. */
    onEvent(channel) {
      if (!current || !current.module.channels.some((c) => channel.startsWith(c))) return;
      clearTimeout(refresh);
      refresh = setTimeout(() => {
        if (current && current.detail) renderDetail(current.module, current.detail.sectionId, current.detail.id);
        else if (current) current.sections.forEach((x) => x.reload());
      }, 300);
    },
  };
}
