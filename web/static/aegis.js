// AEGIS on the dashboard: the agent inventory with each agent's risk, and
// quarantine, release and kill behind a confirmation with a reason; the open
// alerts, live, with acknowledge, assign and resolve.

const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * Mounts the AEGIS cards.
 * @param {object} ui the page's helpers: api, $, el, can, showError, fmtDate
 * @returns {{load: () => void, onEvent: (channel: string) => void}}
 */
export function mountAegis(ui) {
  const { api, $, el, can, showError, fmtDate } = ui;
  let pending = null; // the action the dialog confirms

  // ask opens the dialog: title, text, the input's label and what confirm does with its value.
  function ask(title, text, label, confirmText, danger, run) {
    pending = run;
    $('aegis-dialog-title').textContent = title;
    $('aegis-dialog-text').textContent = text;
    $('aegis-input-label').firstChild.textContent = `${label} `;
    $('aegis-confirm').textContent = confirmText;
    $('aegis-confirm').className = danger ? 'danger' : 'primary';
    $('aegis-input').value = '';
    showError($('aegis-dialog-error'), null);
    $('aegis-dialog').showModal();
    $('aegis-input').focus();
  }

  async function confirm(ev) {
    ev.preventDefault();
    const value = $('aegis-input').value.trim();
    if (value.length < 3) {
      showError($('aegis-dialog-error'), 'Give at least 3 characters.');
      $('aegis-input').focus();
      return;
    }
    const button = $('aegis-confirm');
    button.disabled = true;
    try {
      await pending(value);
      $('aegis-dialog').close();
      load();
    } catch (err) {
      showError($('aegis-dialog-error'), err);
    } finally {
      button.disabled = false;
    }
  }

  $('aegis-form').addEventListener('submit', confirm);
  $('aegis-cancel').addEventListener('click', () => $('aegis-dialog').close());
  $('agents-refresh').addEventListener('click', () => loadAgents());

  const contain = (a, action, title, text, danger) => el('button', {
    type: 'button', class: `small ${danger ? 'danger' : ''}`, text: `${title}\u2026`, 'data-action': action, 'data-agent': a.id,
    onclick: () => ask(`${title} ${a.name}?`, text, 'Reason', title, danger,
      (reason) => api.post(`/api/v1/aegis/agents/${encodeURIComponent(a.id)}/${action}`, { reason })),
  });

  function agentRow(a, risk) {
    const actions = el('td', { class: 'actions' });
    if (a.status === 'active' && can('aegis:write')) {
      actions.append(contain(a, 'quarantine', 'Quarantine', 'The gateway will refuse the agent\u2019s API keys on every instance until it is released.', true));
    }
    if (a.status === 'quarantined' && can('aegis:admin')) {
      actions.append(contain(a, 'release', 'Release', 'The gateway will serve the agent\u2019s API keys again.', false));
    }
    if ((a.status === 'active' || a.status === 'quarantined') && can('aegis:admin')) {
      actions.append(contain(a, 'kill', 'Kill', 'The agent is stopped at once on every instance and its API keys are revoked; this cannot be undone.', true));
    }
    const reason = risk && risk.reasons && risk.reasons.length ? risk.reasons.map((r) => r.detail).join('; ') : '';
    return el('tr', { 'data-agent': a.id, 'data-status': a.status },
      el('th', { scope: 'row', text: a.name, title: a.id }),
      el('td', { text: a.owner || '–' }),
      el('td', {}, el('span', { class: `status s-${a.status}`, text: a.status, title: a.status_reason || '' })),
      el('td', { class: 'num', text: risk ? `${risk.score} · ${risk.level}` : '–', title: reason, 'data-risk': risk ? risk.level : '' }),
      actions);
  }

  async function loadAgents() {
    if (!can('aegis:read')) {
      $('agents-empty').hidden = false;
      $('agents-empty').textContent = 'You lack the aegis:read permission.';
      return;
    }
    try {
      const agents = (await api.get('/api/v1/aegis/agents?limit=50')) || [];
      const risks = await Promise.all(agents.map((a) => api.get(`/api/v1/aegis/agents/${encodeURIComponent(a.id)}/risk`).catch(() => null)));
      $('agent-rows').replaceChildren(...agents.map((a, i) => agentRow(a, risks[i])));
      $('agents-empty').hidden = agents.length > 0;
      showError($('agents-error'), null);
    } catch (err) {
      showError($('agents-error'), err);
    }
  }

  const alertAction = (a, action, label, body) => el('button', {
    type: 'button', class: 'small', text: label, 'data-action': action, 'data-alert': a.id,
    onclick: body
      ? () => ask(`${label} \u201c${a.title}\u201d`, '', action === 'assign' ? 'Assignee' : 'Note', label, false,
        (v) => api.post(`/api/v1/aegis/alerts/${encodeURIComponent(a.id)}/${action}`, body(v)))
      : async () => {
        try {
          await api.post(`/api/v1/aegis/alerts/${encodeURIComponent(a.id)}/${action}`, {});
          loadAlerts();
        } catch (err) {
          showError($('alerts-error'), err);
        }
      },
  });

  function alertItem(a) {
    const tools = el('div', { class: 'alert-actions' });
    if (can('aegis:write')) {
      if (a.status === 'open') tools.append(alertAction(a, 'acknowledge', 'Acknowledge'));
      tools.append(alertAction(a, 'assign', 'Assign\u2026', (v) => ({ assignee: v })),
        alertAction(a, 'resolve', 'Resolve\u2026', (v) => ({ resolution: 'fixed', note: v })));
    }
    const meta = [a.status, a.assignee ? `assigned to ${a.assignee}` : '', a.count > 1 ? `${a.count} events` : '', fmtDate(a.raised_at)]
      .filter(Boolean).join(' · ');
    return el('li', { class: `alert sev-${a.severity}`, 'data-alert': a.id, 'data-status': a.status },
      el('p', { class: 'alert-title' }, el('span', { class: 'severity', text: a.severity }), ` ${a.title}`),
      el('p', { class: 'muted', text: meta }),
      tools);
  }

  async function loadAlerts() {
    if (!can('aegis:read')) {
      $('alerts-empty').hidden = false;
      $('alerts-empty').textContent = 'You lack the aegis:read permission.';
      return;
    }
    try {
      const [open, acked] = await Promise.all([api.get('/api/v1/aegis/alerts?status=open&limit=50'),
        api.get('/api/v1/aegis/alerts?status=acknowledged&limit=50')]);
      const alerts = [...(open || []), ...(acked || [])]
        .sort((x, y) => (SEVERITY_ORDER[x.severity] - SEVERITY_ORDER[y.severity]) || (x.raised_at < y.raised_at ? 1 : -1));
      $('alert-list').replaceChildren(...alerts.map(alertItem));
      $('alerts-empty').hidden = alerts.length > 0;
      $('alerts-summary').textContent = `${alerts.length} unresolved`;
      showError($('alerts-error'), null);
    } catch (err) {
      showError($('alerts-error'), err);
    }
  }

  function load() {
    loadAgents();
    loadAlerts();
  }

  let timer = 0;
  return {
    load,
    // Any AEGIS event may change an agent or an alert: reload, coalesced.
    onEvent(channel) {
      if (!channel.startsWith('aegis.')) return;
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    },
  };
}
