// The console: a sidebar over every module and a page per module, each a
// client of the public API (no private endpoints). Pages are declared as
// data (MODULES): sections list a collection with filters, cursor paging and
// total_count, link rows to a detail page, and offer a create form to
// callers whose permissions allow it. Hiding a control is a convenience, never
// the guard: the API checks every write. Pages refresh from the live stream
// (onEvent), never by polling.

import { PANELS, auditLink } from './panels.js';
import { problemOf, sha256 } from './api.js';

const LIMIT = 25;

const when = (v) => (v ? new Date(v).toLocaleString() : '–');
const list = (v) => (Array.isArray(v) ? v.join(', ') : v);
const yes = (v) => (v ? 'yes' : 'no');
const pins = (t) => Object.entries(t || {}).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || 'none';
const at = (base, action) => (r) => `${base}${encodeURIComponent(r.id)}${action ? `/${action}` : ''}`;
const REASON = { name: 'reason', label: 'Reason (recorded in the audit trail)', textarea: true, required: true };
const NOTE = { name: 'note', label: 'Note', textarea: true };
const FLAGGED = { name: 'approve_flagged', label: 'Pin flagged tools too (their findings are recorded with the approval)', type: 'checkbox' };

/**
 * Each module: its path, label, read permission, the live channels that
 * refresh it, and its sections. A section: the collection it lists, its
 * columns ([field, heading, format?]), filters (query parameters with their
 * enums), the detail page of a row, and a create form.
 */
const OPEN_DSAR = (r) => r.status === 'open';
const ASSET_TYPES = ['model', 'agent', 'dataset', 'service', 'host', 'identity', 'vector_store', 'api_key', 'mcp_server', 'provider', 'application', 'network'];
const LINK_TYPES = ['connects_to', 'has_access', 'runs_on', 'stores', 'calls', 'trusts'];

export const MODULES = [
  {
    path: '/gateway', label: 'Gateway', perm: 'gateway:read', channels: ['gateway.'],
    sections: [
      { id: 'usage', title: 'Usage, last 30 days', panel: 'gatewayUsage' },
      {
        id: 'requests', title: 'Request log', list: '/api/v1/gateway/requests', item: '/api/v1/gateway/requests/',
        columns: [['id', 'Request'], ['time', 'Time', when], ['endpoint', 'Endpoint'], ['model', 'Model'], ['outcome', 'Outcome'], ['blocked_by', 'Blocked by'], ['latency_ms', 'Latency (ms)']],
        filters: [{ name: 'outcome', label: 'Outcome', options: ['completed', 'blocked', 'failed'] }],
      },
      {
        id: 'policies', title: 'Policies', list: '/api/v1/gateway/policies', item: '/api/v1/gateway/policies/',
        columns: [['name', 'Name'], ['version', 'Version'], ['updated_at', 'Updated', when]],
        actions: [
          { id: 'simulate', label: 'Simulate', perm: 'gateway:read', method: 'POST', path: at('/api/v1/gateway/policies/', 'simulate'), keepOpen: true,
            text: 'What would this policy decide on a prompt? Nothing is sent to a provider and nothing is recorded.',
            fields: [{ name: 'prompt', label: 'Prompt', textarea: true, required: true }],
            result: (x) => `${(x.allowed ? `Allowed by version ${x.policy_version}` : `Blocked by version ${x.policy_version}: ${x.error_code || ''} ${x.detail || ''}`.trim())}.${
              (x.steps || []).length ? ` Steps: ${x.steps.map((st) => `${st.step.replaceAll('_', ' ')} ${st.verdict}${st.score ? ` (score ${st.score.toFixed(2)})` : ''}`).join(' · ')}.` : ''}` },
        ],
        related: [{
          title: 'Versions', id: 'versions', list: (p) => `/api/v1/gateway/policies/${encodeURIComponent(p.id)}/versions`,
          columns: [['version', 'Version'], ['kind', 'Change'], ['rolled_back_from', 'Rolled back from'], ['actor', 'By'], ['created_at', 'Time', when]],
          actions: [
            { id: 'rollback', label: 'Make current', perm: 'gateway:admin', when: (r) => r.version !== r.$parent.version, method: 'POST',
              path: (r) => `/api/v1/gateway/policies/${encodeURIComponent(r.$parent.id)}/rollback`, body: (v, r) => ({ version: r.version }),
              text: 'This version becomes current again, recorded as a new version.' },
          ],
        }, { title: 'Compare versions', id: 'diff', panel: 'policyDiff' }, { title: 'Backtest', id: 'backtest', panel: 'policyBacktest' }],
        create: { perm: 'gateway:admin', post: '/api/v1/gateway/policies', fields: [
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
        actions: [
          { id: 'quarantine', label: 'Quarantine', perm: 'aegis:write', when: (r) => r.status === 'active', method: 'POST', path: at('/api/v1/aegis/agents/', 'quarantine'),
            danger: true, text: 'The gateway will refuse the agent\u2019s API keys on every instance until it is released.', fields: [REASON] },
          { id: 'release', label: 'Release', perm: 'aegis:admin', when: (r) => r.status === 'quarantined', method: 'POST', path: at('/api/v1/aegis/agents/', 'release'),
            text: 'The gateway will serve the agent\u2019s API keys again.', fields: [REASON] },
          { id: 'kill', label: 'Kill', perm: 'aegis:admin', when: (r) => r.status === 'active' || r.status === 'quarantined', method: 'POST', path: at('/api/v1/aegis/agents/', 'kill'),
            danger: true, text: 'The agent is stopped at once on every instance and its API keys are revoked; this cannot be undone.', fields: [REASON] },
        ],
      },
      {
        id: 'alerts', title: 'Alerts', list: '/api/v1/aegis/alerts', item: '/api/v1/aegis/alerts/',
        columns: [['title', 'Alert'], ['severity', 'Severity'], ['status', 'Status'], ['count', 'Count'], ['last_seen', 'Last seen', when]],
        filters: [{ name: 'status', label: 'Status', options: ['open', 'acknowledged', 'resolved'] }],
        actions: [
          { id: 'acknowledge', label: 'Acknowledge', perm: 'aegis:write', when: (r) => r.status === 'open', method: 'POST', path: at('/api/v1/aegis/alerts/', 'acknowledge') },
          { id: 'resolve', label: 'Resolve', perm: 'aegis:write', when: (r) => r.status !== 'resolved', method: 'POST', path: at('/api/v1/aegis/alerts/', 'resolve'),
            fields: [{ name: 'resolution', label: 'Resolution', options: ['fixed', 'false_positive', 'accepted_risk', 'duplicate', 'other'], required: true }, NOTE] },
        ],
      },
      {
        id: 'guardrails', title: 'Guardrails', list: '/api/v1/aegis/guardrails', item: '/api/v1/aegis/guardrails/',
        columns: [['name', 'Name'], ['type', 'Type'], ['action', 'Action'], ['enabled', 'Enabled', yes], ['version', 'Version']],
        actions: [
          { id: 'enable', label: 'Enable', perm: 'aegis:write', when: (r) => !r.enabled, method: 'POST', path: at('/api/v1/aegis/guardrails/', 'enable') },
          { id: 'disable', label: 'Disable', perm: 'aegis:write', when: (r) => r.enabled, method: 'POST', path: at('/api/v1/aegis/guardrails/', 'disable'), danger: true,
            text: 'The gateway stops applying this guardrail on every instance.' },
        ],
      },
      {
        id: 'mcp-servers', title: 'MCP servers', list: '/api/v1/aegis/mcp/servers', item: '/api/v1/aegis/mcp/servers/',
        columns: [['name', 'Server'], ['url', 'URL'], ['approval_state', 'Approval'], ['trust_level', 'Trust'], ['tools', 'Tools', pins], ['flagged', 'Flagged tools']],
        create: { perm: 'aegis:write', post: '/api/v1/aegis/mcp/servers', fields: [
          { name: 'name', label: 'Name', required: true },
          { name: 'url', label: 'URL (Streamable HTTP)', type: 'url', required: true },
          { name: 'trust_level', label: 'Trust', options: ['untrusted', 'low', 'medium', 'high'] },
          { name: 'description', label: 'Description' },
        ] },
        related: [{ title: 'Tools and pins', id: 'mcp-tools', panel: 'mcpTools' }],
        filters: [{ name: 'approval_state', label: 'Approval', options: ['quarantined', 'approved', 'rejected'] }],
        actions: [
          { id: 'approve', label: 'Approve', perm: 'aegis:admin', when: (r) => r.approval_state !== 'approved', method: 'PATCH', path: at('/api/v1/aegis/mcp/servers/'),
            text: 'The server\u2019s tools are listed and every tool the scan found nothing high or critical in is pinned.', fields: [REASON, FLAGGED],
            body: (v) => ({ approval_state: 'approved', reason: v.reason, approve_flagged: v.approve_flagged }) },
          { id: 'reapprove', label: 'Approve the changes', perm: 'aegis:admin', when: (r) => r.approval_state === 'approved' && !!r.tools && (r.tools.changed > 0 || r.tools.pending > 0),
            method: 'PATCH', path: at('/api/v1/aegis/mcp/servers/'), fields: [REASON, FLAGGED],
            body: (v) => ({ approval_state: 'approved', reason: v.reason, approve_flagged: v.approve_flagged }),
            text: 'The changed and new tools are pinned as the server offers them now (see what changed under Tools and pins).' },
          { id: 'reject', label: 'Reject', perm: 'aegis:write', when: (r) => r.approval_state !== 'rejected', method: 'PATCH', path: at('/api/v1/aegis/mcp/servers/'),
            danger: true, text: 'The MCP firewall refuses every call to this server.', fields: [REASON], body: (v) => ({ approval_state: 'rejected', reason: v.reason }) },
        ],
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
        actions: [
          { id: 'triage', label: 'Triage', perm: 'aegis:write', method: 'PATCH', path: at('/api/v1/aegis/shadow-ai/findings/'),
            text: 'Sanction the service, mark it unsanctioned, or block it.',
            fields: [{ name: 'state', label: 'Decision', options: ['sanctioned', 'unsanctioned', 'blocked'], required: true }, NOTE] },
        ],
      },
    ],
  },
  {
    path: '/compliance', label: 'Compliance', perm: 'compliance:read', channels: ['compliance.'],
    sections: [
      {
        id: 'frameworks', title: 'Frameworks', list: '/api/v1/compliance/frameworks', item: '/api/v1/compliance/frameworks/',
        columns: [['name', 'Framework'], ['version', 'Version'], ['requirements', 'Requirements'], ['adopted', 'Adopted', yes]],
        actions: [
          { id: 'adopt', label: 'Adopt', perm: 'compliance:write', when: (r) => !r.adopted, method: 'POST', path: at('/api/v1/compliance/frameworks/', 'adopt') },
        ],
      },
      {
        id: 'assessments', title: 'Assessments', list: '/api/v1/compliance/assessments', item: '/api/v1/compliance/assessments/',
        columns: [['name', 'Assessment'], ['status', 'Status'], ['progress', 'Progress', (p) => `${Math.round(p * 100)}%`], ['score', 'Score'], ['started_at', 'Started', when]],
        create: { perm: 'compliance:write', post: '/api/v1/compliance/assessments', fields: [
          { name: 'name', label: 'Name', required: true },
          { name: 'framework_id', label: 'Framework', required: true, optionsFrom: { list: '/api/v1/compliance/frameworks?limit=100', label: 'name' } },
        ] },
        actions: [
          { id: 'complete', label: 'Complete', perm: 'compliance:write', when: (r) => r.status === 'in_progress', method: 'POST', path: at('/api/v1/compliance/assessments/', 'complete'),
            text: 'The score is frozen and no more results can be recorded.' },
        ],
        related: [{ title: 'Requirements', panel: 'assessmentRequirements' }],
      },
      { id: 'evidence-upload', title: 'Upload evidence', panel: 'evidenceUpload', perm: 'compliance:write' },
      {
        id: 'evidence', title: 'Evidence', list: '/api/v1/compliance/evidence', item: '/api/v1/compliance/evidence/',
        columns: [['name', 'Name'], ['kind', 'Kind'], ['filename', 'File'], ['size', 'Bytes'], ['sha256', 'SHA-256', (h) => `${h.slice(0, 12)}\u2026`], ['expires_at', 'Expires', when], ['expired', 'Expired', yes]],
        actions: [
          { id: 'download', label: 'Download', perm: 'compliance:read', when: (r) => r.kind === 'file', download: at('/api/v1/compliance/evidence/', 'download'),
            filename: (r) => r.filename || `evidence-${r.id}`, sha256: (r) => r.sha256, keepOpen: true,
            text: 'The file is saved, and its SHA-256 is checked against the one recorded when it was uploaded.',
            result: (x) => `Saved ${x.filename} (${x.bytes.toLocaleString()} bytes). SHA-256 ${x.sha256 || 'not computed in this browser'}${x.sha256 ? (x.matches ? ': the same as recorded.' : `: NOT the recorded ${x.recorded}.`) : '.'}` },
        ],
      },
    ],
  },
  {
    path: '/risk', label: 'Risk', perm: 'risk:read', channels: ['risk.'],
    sections: [
      {
        id: 'risks', title: 'Risk register', noun: 'risk', list: '/api/v1/risk/risks', item: '/api/v1/risk/risks/',
        columns: [['title', 'Risk'], ['category', 'Category'], ['level', 'Level'], ['status', 'Status'], ['last_mean_ale', 'Mean ALE (USD)', (v) => Math.round(v).toLocaleString()]],
        create: { perm: 'risk:write', post: '/api/v1/risk/risks', fields: [
          { name: 'title', label: 'Title', required: true },
          { name: 'likelihood', label: 'Likelihood (1–5)', type: 'number', required: true, min: 1, max: 5 },
          { name: 'impact', label: 'Impact (1–5)', type: 'number', required: true, min: 1, max: 5 },
        ] },
        actions: [
          { id: 'simulate', label: 'Simulate', perm: 'risk:write', when: (r) => !!r.fair, method: 'POST', path: at('/api/v1/risk/risks/', 'simulate'), keepOpen: true,
            text: 'A Monte Carlo simulation of the risk\u2019s FAIR model (10,000 years).', body: () => ({ iterations: 10000 }),
            result: (x) => `Mean annual loss ${Math.round((x.results || {}).mean_ale || 0).toLocaleString()} USD` },
        ],
        related: [{ title: 'Loss exceedance', panel: 'riskCurve' }],
      },
      { id: 'heatmap', title: 'Heatmap', panel: 'riskHeatmap' },
      { id: 'portfolio', title: 'Portfolio', panel: 'riskPortfolio' },
    ],
  },
  {
    path: '/cybertwins', label: 'CyberTwins', perm: 'cybertwins:read', channels: ['cybertwins.'],
    sections: [
      { id: 'graph', title: 'Asset graph', panel: 'twinGraph' },
      {
        id: 'assets', title: 'Assets', list: '/api/v1/cybertwins/assets', item: '/api/v1/cybertwins/assets/',
        columns: [['name', 'Asset'], ['type', 'Type'], ['criticality', 'Criticality'], ['crown_jewel', 'Crown jewel', yes], ['entry_point', 'Entry point', yes], ['owner', 'Owner']],
        filters: [{ name: 'type', label: 'Type', options: ASSET_TYPES }],
        create: { perm: 'cybertwins:write', post: '/api/v1/cybertwins/assets', fields: [
          { name: 'name', label: 'Name', required: true },
          { name: 'type', label: 'Type', required: true, options: ASSET_TYPES },
          { name: 'criticality', label: 'Criticality (1–5)', type: 'number', min: 1, max: 5 },
          { name: 'entry_point', label: 'Entry point', type: 'checkbox' },
          { name: 'crown_jewel', label: 'Crown jewel', type: 'checkbox' },
        ] },
      },
      {
        id: 'relationships', title: 'Relationships', list: '/api/v1/cybertwins/relationships',
        columns: [['source', 'From'], ['type', 'Relationship'], ['target', 'To'], ['exploitability', 'Exploitability']],
        names: { fields: ['source', 'target'], list: '/api/v1/cybertwins/assets?limit=200', label: 'name' },
        filters: [{ name: 'type', label: 'Relationship', options: LINK_TYPES }],
        create: { perm: 'cybertwins:write', post: '/api/v1/cybertwins/relationships', fields: [
          { name: 'source', label: 'From', required: true, optionsFrom: { list: '/api/v1/cybertwins/assets?limit=100', label: 'name' } },
          { name: 'type', label: 'Relationship', required: true, options: LINK_TYPES },
          { name: 'target', label: 'To', required: true, optionsFrom: { list: '/api/v1/cybertwins/assets?limit=100', label: 'name' } },
          { name: 'exploitability', label: 'Exploitability (0–1]', type: 'number', required: true, min: 0.01, max: 1, step: 0.01 },
        ] },
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
        actions: [
          { id: 'abort', label: 'Abort', perm: 'resilience:write', when: (r) => r.status === 'running', method: 'POST', path: at('/api/v1/resilience/chaos/experiments/', 'abort'),
            danger: true, text: 'The experiment\u2019s faults are lifted at once.', fields: [REASON] },
        ],
      },
    ],
  },
  {
    path: '/data-gov', label: 'Data governance', perm: 'data_gov:read', channels: ['data_gov.'],
    sections: [
      { id: 'lineage', title: 'Lineage', panel: 'lineage' },
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
        create: { perm: 'data_gov:write', post: '/api/v1/data-gov/dsar', fields: [
          { name: 'type', label: 'Type', required: true, options: ['access', 'erasure', 'rectification', 'portability'] },
          { name: 'subject_email', label: 'Subject e-mail', type: 'email' },
          { name: 'jurisdiction', label: 'Jurisdiction', options: ['gdpr', 'ccpa'] },
        ] },
        actions: [
          { id: 'verify', label: 'Verify identity', perm: 'data_gov:write', when: (r) => OPEN_DSAR(r) && r.verification === 'pending', method: 'POST', path: at('/api/v1/data-gov/dsar/', 'verify'),
            fields: [{ name: 'state', label: 'Outcome', options: ['verified', 'failed'], required: true }, { name: 'method', label: 'How it was checked', required: true }, NOTE] },
          { id: 'fulfill', label: 'Complete', perm: 'data_gov:admin', when: OPEN_DSAR, method: 'POST', path: at('/api/v1/data-gov/dsar/', 'fulfill'),
            text: 'The request is fulfilled: an access request\u2019s archive is built, an erasure is carried out and certified.', fields: [{ name: 'notes', label: 'Notes', textarea: true }],
            result: () => 'Completed.' },
          { id: 'reject', label: 'Reject', perm: 'data_gov:write', when: OPEN_DSAR, method: 'POST', path: at('/api/v1/data-gov/dsar/', 'reject'), danger: true, fields: [REASON] },
        ],
      },
    ],
  },
  {
    path: '/bastion-ai', label: 'BASTION AI', perm: 'bastion_ai:read', channels: ['bastion_ai.'],
    sections: [
      { id: 'chat', title: 'Ask BASTION AI', panel: 'chat' },
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
        actions: [
          { id: 'read', label: 'Mark read', perm: 'platform:read', when: (r) => !r.read, method: 'POST', path: at('/api/v1/platform/notifications/', 'read') },
        ],
      },
      {
        id: 'reports', title: 'Reports', list: '/api/v1/platform/reports', item: '/api/v1/platform/reports/',
        columns: [['kind', 'Report'], ['format', 'Format'], ['status', 'Status'], ['percent', '%'], ['sha256', 'SHA-256'], ['created_at', 'Requested', when]],
        filters: [{ name: 'status', label: 'Status', options: ['queued', 'running', 'done', 'failed'] }],
        actions: [
          { id: 'download', label: 'Download', perm: 'platform:read', when: (r) => r.status === 'done', download: at('/api/v1/platform/reports/', 'download'),
            filename: (r) => `${r.kind}.${r.format}` },
        ],
        create: { perm: 'platform:write', post: '/api/v1/platform/reports', fields: [
          { name: 'kind', label: 'Kind', required: true, options: ['trust_summary', 'risk_register', 'audit_trail'] },
          { name: 'format', label: 'Format', required: true, options: ['pdf', 'csv', 'json'] },
        ] },
      },
      {
        id: 'workflows', title: 'Approval workflows', list: '/api/v1/platform/workflows', item: '/api/v1/platform/workflows/',
        columns: [['name', 'Workflow'], ['trigger', 'Trigger'], ['approver_role', 'Approver'], ['approvals', 'Approvals'], ['timeout_seconds', 'Timeout (s)']],
        related: [{
          title: 'Runs', list: (w) => `/api/v1/platform/workflows/${encodeURIComponent(w.id)}/runs`, id: 'runs',
          columns: [['summary', 'Run'], ['subject', 'Subject'], ['requester', 'Requester'], ['status', 'Status'], ['approvals', 'Approvals'], ['deadline', 'Deadline', when]],
          actions: [
            { id: 'approve', label: 'Approve', perm: 'platform:write', when: (r) => r.status === 'pending', method: 'POST', path: at('/api/v1/platform/workflow-runs/', 'approve'),
              fields: [{ name: 'comment', label: 'Comment', textarea: true }] },
            { id: 'reject', label: 'Reject', perm: 'platform:write', when: (r) => r.status === 'pending', method: 'POST', path: at('/api/v1/platform/workflow-runs/', 'reject'),
              danger: true, fields: [{ name: 'comment', label: 'Comment', textarea: true }] },
          ],
        }],
      },
      {
        id: 'integrations', title: 'Integrations', list: '/api/v1/platform/integrations', item: '/api/v1/platform/integrations/',
        columns: [['name', 'Integration'], ['url', 'URL'], ['state', 'State'], ['event_types', 'Events', list]],
        filters: [{ name: 'state', label: 'State', options: ['active', 'disabled'] }],
        actions: [
          { id: 'test', label: 'Send a test', perm: 'platform:write', method: 'POST', path: at('/api/v1/platform/integrations/', 'test'), keepOpen: true,
            text: 'A test event is delivered now; the answer is in the delivery log.', result: (x) => `Test event ${x.event_id} sent; its delivery is in the delivery log.` },
          { id: 'enable', label: 'Enable', perm: 'platform:write', when: (r) => r.state === 'disabled', method: 'POST', path: at('/api/v1/platform/integrations/', 'enable') },
        ],
        related: [{
          title: 'Delivery log', id: 'deliveries', list: (x) => `/api/v1/platform/integrations/${encodeURIComponent(x.id)}/deliveries`,
          columns: [['event_type', 'Event'], ['state', 'State'], ['attempts', 'Attempts'], ['last_status', 'HTTP'], ['last_error', 'Error'], ['created_at', 'Time', when]],
        }],
      },
    ],
  },
  {
    path: '/admin', label: 'Administration', perm: 'iam:read', channels: ['iam.', 'admin.'],
    sections: [
      {
        id: 'users', title: 'Users', list: '/api/v1/iam/users', item: '/api/v1/iam/users/',
        columns: [['email', 'E-mail'], ['name', 'Name'], ['role', 'Role'], ['status', 'Status']],
        actions: [
          { id: 'deactivate', label: 'Deactivate', perm: 'iam:write', when: (r, me) => r.status === 'active' && r.id !== me.id, method: 'DELETE', path: at('/api/v1/iam/users/'), danger: true,
            text: 'The user can no longer sign in and their sessions end.' },
        ],
      },
      {
        id: 'api-keys', title: 'API keys', list: '/api/v1/iam/api-keys',
        columns: [['name', 'Name'], ['prefix', 'Prefix'], ['permissions', 'Permissions', list], ['revoked', 'Revoked', yes], ['expires_at', 'Expires', when]],
        actions: [
          { id: 'revoke', label: 'Revoke', perm: 'iam:write', when: (r) => !r.revoked, method: 'DELETE', path: at('/api/v1/iam/api-keys/'), danger: true,
            text: 'The key stops working on every instance at once.' },
        ],
      },
      {
        id: 'roles', title: 'Roles', list: '/api/v1/iam/roles',
        columns: [['name', 'Role'], ['builtin', 'Built in', yes], ['permissions', 'Permissions', (p) => (Array.isArray(p) ? `${p.length}` : p)]],
      },
      {
        id: 'sso', title: 'Single sign-on', noun: 'single sign-on provider', list: '/api/v1/iam/sso/providers', perm: 'iam:read',
        columns: [['name', 'Provider'], ['issuer_url', 'Issuer'], ['default_role', 'Default role'], ['allowed_domains', 'Domains', list], ['enabled', 'Enabled', yes]],
      },
      {
        id: 'flags', title: 'Feature flags', list: '/api/v1/admin/feature-flags', perm: 'admin:read',
        columns: [['key', 'Flag'], ['type', 'Type'], ['default_variant', 'Default'], ['enabled', 'Enabled', yes], ['updated_at', 'Changed', when]],
      },
      { id: 'license', title: 'Licence', panel: 'license', perm: 'admin:read' },
      {
        id: 'tenants', title: 'Tenants', list: '/api/v1/iam/tenants', perm: 'iam:admin', platformAdmin: true,
        columns: [['name', 'Tenant'], ['id', 'Id'], ['created_at', 'Created', when]],
      },
      {
        id: 'audit', title: 'Audit trail', list: '/api/v1/admin/audit/events', perm: 'admin:read', detail: 'auditEvent',
        columns: [['position', 'Position'], ['type', 'Event'], ['subject', 'Subject'], ['actor', 'Actor'], ['time', 'Time', when]],
        tools: [{ id: 'verify', label: 'Verify the chain', perm: 'admin:read', method: 'POST', path: '/api/v1/admin/audit/verify',
          result: (x) => (x.ok
            ? `The chain verifies: ${x.events_checked.toLocaleString()} events in ${x.streams_checked.toLocaleString()} streams, up to position ${x.head_position}, no break.`
            : `The chain does not verify: ${(x.breaks || []).length} break(s)${x.truncated ? ' (first 1,000)' : ''}.`) }],
      },
      {
        id: 'projections', title: 'Projections', list: '/api/v1/admin/projections', perm: 'admin:read', platformAdmin: true,
        columns: [['name', 'Projection'], ['active_generation', 'Generation'], ['lag', 'Lag'], ['dead_letters', 'Dead letters'], ['last_error', 'Last error']],
        actions: [
          { id: 'rebuild', label: 'Rebuild', perm: 'admin:admin', method: 'POST', path: (r) => `/api/v1/admin/projections/${encodeURIComponent(r.name)}/rebuild`,
            text: 'The projection is rebuilt from the first event into a new generation, which takes over when it has caught up.', result: (x) => `Rebuilding into generation ${x.generation ?? ''}`.trim() },
        ],
      },
    ],
  },
];

/**
 * mountConsole wires the sidebar and the router.
 * @param {object} ui the page's helpers: api, el, can, showError,
 *   platformAdmin() (whether the caller administers the platform), and
 *   showOverview(bool), which shows the overview or hides it for a module page
 */
export function mountConsole(ui) {
  const { api, el, can, showError } = ui;
  const nav = document.getElementById('sidebar');
  const page = document.getElementById('console-page');
  const notice = el('p', { class: 'error notice', role: 'alert', hidden: true });
  const toast = (msg) => { notice.textContent = msg; notice.hidden = false; };
  const dialog = mountActionDialog({ ...ui, toast });
  const ctx = { api, el, can, showError, act: dialog.run, platformAdmin: ui.platformAdmin };
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
    if (path !== location.pathname + location.search) history.pushState({}, '', path);
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

  const visibleSection = (s) => (!s.perm || can(s.perm)) && (!s.platformAdmin || ui.platformAdmin());

  function renderModule(m) {
    notice.hidden = true;
    page.replaceChildren(el('h1', { class: 'page-title', text: m.label }), notice);
    if (!can(m.perm)) {
      page.append(el('p', { class: 'error', role: 'alert', text: `You do not have ${m.perm}.` }));
      current = null;
      return;
    }
    current = { module: m, sections: [] };
    for (const s of m.sections) {
      if (!visibleSection(s)) continue;
      current.sections.push(s.panel ? renderPanel(m, s) : renderSection(m, s));
    }
  }

  // A panel is a section drawn by its own code (panels.js): a chart, a
  // graph, the assistant's chat.
  function renderPanel(m, s, item) {
    const headingId = `sec-${m.path.slice(1)}-${s.id}`;
    const card = el('section', { class: 'card console-card', 'aria-labelledby': headingId, 'data-section': s.id, 'data-panel': s.panel });
    card.append(el('div', { class: 'card-head' }, el('h2', { id: headingId, text: s.title })));
    page.append(card);
    let reload = () => {};
    const make = (draw) => { reload = draw({ ...ctx, card, item, headingId }) || (() => {}); };
    if (PANELS[s.panel]) make(PANELS[s.panel]);
    else {
      // A view only some pages need: loaded when first drawn.
      import('./views.js').then((v) => make(v.VIEWS[s.panel])).catch((err) => {
        card.append(el('p', { class: 'error', role: 'alert', text: `This section could not be loaded: ${err.message}` }));
      });
    }
    return { section: s, reload: () => reload() };
  }

  function renderSection(m, s, item) {
    const headingId = `sec-${m.path.slice(1)}-${s.id}`;
    const card = el('section', { class: 'card console-card', 'aria-labelledby': headingId, 'data-section': s.id });
    const count = el('span', { class: 'muted count', 'data-testid': `${s.id}-count` });
    const head = el('div', { class: 'card-head' }, el('h2', { id: headingId, text: s.title }), count);
    card.append(head);
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
    const tools = (s.tools || []).filter((x) => can(x.perm));
    if (tools.length) {
      const out = el('p', { class: 'tool-result', role: 'status', 'data-tool-result': s.id });
      const bar = el('div', { class: 'tools' });
      for (const x of tools) {
        const b = el('button', { type: 'button', class: 'small', text: x.label, 'data-tool': x.id });
        b.addEventListener('click', async () => {
          b.disabled = true;
          out.textContent = 'Working…';
          out.classList.remove('error');
          try {
            const json = await api.request(x.method, x.path);
            out.textContent = x.result ? x.result((json && json.data) || {}) : 'Done.';
          } catch (err) {
            out.textContent = err.message;
            out.classList.add('error');
          } finally {
            b.disabled = false;
          }
        });
        bar.append(b);
      }
      card.append(bar, out);
    }
    const actions = (s.actions || []).filter((a) => can(a.perm));
    const table = el('table', { class: 'table' });
    const headRow = el('tr', {}, ...s.columns.map(([, h]) => el('th', { scope: 'col', text: h })));
    if (actions.length) headRow.append(el('th', { scope: 'col', text: 'Actions' }));
    table.append(el('thead', {}, headRow));
    const body = el('tbody');
    table.append(body);
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    const more = el('button', { type: 'button', class: 'small', hidden: true, text: 'Load more' });
    // Focusable, so that a table wider than a phone scrolls by keyboard too.
    card.append(el('div', { class: 'table-wrap', tabIndex: 0, role: 'region', 'aria-label': `${s.title} (table)` }, table), error, more);
    let cursor = '';
    const list = typeof s.list === 'function' ? s.list(item) : s.list;
    const width = s.columns.length + (actions.length ? 1 : 0);

    async function load(append) {
      const params = new URLSearchParams({ limit: String(LIMIT) });
      for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
      if (append && cursor) params.set('cursor', cursor);
      try {
        const json = await api.request('GET', `${list}?${params}`);
        const rows = (json && json.data) || [];
        const pg = (json && json.meta && json.meta.pagination) || {};
        if (s.names) await nameRows(rows);
        // A related list's row knows the item it belongs to.
        if (item) for (const r of rows) r.$parent = item;
        if (!append) body.replaceChildren();
        for (const r of rows) body.append(row(m, s, r, actions, reload));
        if (!body.children.length) body.append(el('tr', {}, el('td', { colSpan: width, class: 'muted', text: 'Nothing here yet.' })));
        cursor = pg.next_cursor || '';
        more.hidden = !pg.has_more;
        // An unpaged list answers all of it.
        const total = pg.total_count !== undefined ? pg.total_count : pg.has_more ? undefined : body.querySelectorAll('tr[data-id]').length;
        count.textContent = total !== undefined ? `${total} in all` : '';
        showError(error, null);
      } catch (err) {
        showError(error, err);
      }
    }
    let form = null;
    // nameRows shows ids as the names of what they refer to.
    async function nameRows(rows) {
      try {
        const named = new Map(((await api.get(s.names.list)) || []).map((x) => [x.id, x[s.names.label]]));
        for (const r of rows) for (const f of s.names.fields) if (named.has(r[f])) r[f] = named.get(r[f]);
      } catch {
        // The ids are shown instead.
      }
    }
    const reload = () => {
      if (form) for (const x of form.querySelectorAll('select')) if (x.refreshOptions) x.refreshOptions();
      return load(false);
    };
    more.addEventListener('click', () => load(true));

    if (s.create && can(s.create.perm)) {
      form = createForm(s, reload);
      card.append(form);
    }
    page.append(card);
    reload();
    return { section: s, reload };
  }

  function row(m, s, r, actions, reload) {
    const tr = el('tr', { 'data-id': r.id || r.name || '' });
    s.columns.forEach(([field, , fmt], i) => {
      const v = r[field];
      const text = v === undefined || v === null || v === '' ? '–' : String(fmt ? fmt(v) : v);
      if (i === 0 && (s.item || s.detail) && r.id) {
        const href = s.detail === 'auditEvent'
          ? auditLink(r.id, r.partitionkey)
          : `${m.path}/${s.id}/${encodeURIComponent(r.id)}`;
        tr.append(el('td', {}, el('a', { href, 'data-nav': '', text })));
      } else {
        tr.append(el('td', { text }));
      }
    });
    if (actions.length) {
      const box = el('div', { class: 'actions' });
      const name = String(r[s.columns[0][0]] ?? r.name ?? r.id ?? '');
      for (const a of actions) if (!a.when || a.when(r, ui.me())) box.append(actionButton(a, r, name, reload));
      tr.append(el('td', {}, box));
    }
    return tr;
  }

  function actionButton(a, r, name, done) {
    const b = el('button', {
      type: 'button', class: `small${a.danger ? ' danger' : ''}`, 'data-action': a.id,
      text: a.fields || a.text ? `${a.label}\u2026` : a.label, 'aria-label': `${a.label} ${name}`,
    });
    b.addEventListener('click', () => dialog.run(a, r, name, b, done));
    return b;
  }

  function createForm(s, reload) {
    const form = el('form', { class: 'create-form', 'data-create': s.id });
    const fs = el('fieldset');
    // The thing made, from the list's title unless the section names it;
    // an acronym (API, MCP, ATLAS) keeps its capitals.
    const noun = s.noun || s.title.replace(/ies$/, 'y').replace(/s$/, '');
    fs.append(el('legend', { text: `New ${/^[A-Z][a-z]/.test(noun) ? noun[0].toLowerCase() + noun.slice(1) : noun}` }));
    for (const f of s.create.fields) fs.append(field(el, api, `new-${s.id}`, f));
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    fs.append(el('div', { class: 'field' }, el('button', { type: 'submit', class: 'primary', text: 'Create' })), error);
    form.append(fs);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api.request('POST', s.create.post, values(form, s.create.fields));
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
    notice.hidden = true;
    page.replaceChildren(el('p', {}, el('a', { href: m.path, 'data-nav': '', text: `← ${m.label}` })));
    if (!s || !(s.item || s.detail)) {
      page.append(el('p', { class: 'error', role: 'alert', text: 'There is no such page.' }));
      return;
    }
    const title = el('h1', { class: 'page-title', text: `${s.title}: ${id}` });
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    const bar = el('div', { class: 'tools detail-actions', role: 'group', 'aria-label': 'Actions', hidden: true });
    const card = el('section', { class: 'card console-card', 'aria-label': 'Details' });
    page.append(title, error, notice, bar, card);
    const here = current;
    // fill draws the item; the live stream calls it again, in place, so
    // that what has focus on the page keeps it.
    const fill = async () => {
      const item = s.detail ? await DETAILS[s.detail](api, id) : await api.get(`${s.item}${encodeURIComponent(id)}`);
      const name = item.name || item.title || item.email || item.type;
      if (name) title.textContent = `${s.title}: ${name}`;
      const actions = (s.actions || []).filter((a) => can(a.perm) && (!a.when || a.when(item, ui.me())));
      bar.replaceChildren(...actions.map((a) => actionButton(a, item, name || id, () => here.refresh())));
      bar.hidden = !actions.length;
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
      card.replaceChildren(dl);
      for (const [k, v] of nested) {
        card.append(el('h2', { text: k.replaceAll('_', ' ') }), el('pre', { class: 'json', tabIndex: 0, text: JSON.stringify(v, null, 2) }));
      }
      showError(error, null);
      return item;
    };
    here.refresh = () => {
      fill().catch((err) => showError(error, err));
      here.sections.forEach((x) => x.reload());
    };
    try {
      const item = await fill();
      for (const r of s.related || []) {
        const sub = { ...r, id: r.id || r.panel };
        here.sections.push(r.panel ? renderPanel(m, sub, item) : renderSection(m, sub, item));
      }
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
        if (current && current.refresh) current.refresh();
        else if (current) current.sections.forEach((x) => x.reload());
      }, 300);
    },
  };
}

// DETAILS load the item of a section that has no item endpoint.
const DETAILS = {
  // An audit event: the trail filtered to its stream, then the event by id.
  async auditEvent(api, id) {
    const stream = new URLSearchParams(location.search).get('stream_id');
    const params = new URLSearchParams({ limit: '200' });
    if (stream) params.set('stream_id', stream);
    const events = (await api.get(`/api/v1/admin/audit/events?${params}`)) || [];
    const e = events.find((x) => x.id === id);
    if (!e) throw new Error(`Event ${id} is not in the audit trail${stream ? ` of ${stream}` : ''}.`);
    return e;
  },
};

/** field builds a labelled form control for a field declaration. */
export function field(el, api, prefix, f) {
  const id = `${prefix}-${f.name}`;
  let input;
  if (f.options || f.optionsFrom) {
    input = el('select', { id, name: f.name, required: !!f.required });
    input.append(el('option', { value: '', text: '–' }), ...(f.options || []).map((o) => el('option', { value: o, text: o.replaceAll('_', ' ') })));
    if (f.optionsFrom) {
      // Refreshed with its section, so that what was just created is offered.
      input.refreshOptions = () => api.get(f.optionsFrom.list).then((rows) => {
        const keep = input.value;
        input.replaceChildren(el('option', { value: '', text: '–' }), ...(rows || []).map((r) => el('option', { value: r.id, text: r[f.optionsFrom.label] || r.id })));
        input.value = keep;
      }).catch(() => {});
      input.refreshOptions();
    }
  } else if (f.textarea) {
    input = el('textarea', { id, name: f.name, rows: 3, required: !!f.required });
  } else {
    input = el('input', { id, name: f.name, type: f.type || 'text', required: !!f.required, autocomplete: 'off' });
    if (f.min !== undefined) input.min = String(f.min);
    if (f.max !== undefined) input.max = String(f.max);
    if (f.step !== undefined) input.step = String(f.step);
  }
  const label = el('label', { htmlFor: id, text: f.label });
  return el('div', { class: `field${f.type === 'checkbox' ? ' check' : ''}` }, ...(f.type === 'checkbox' ? [input, label] : [label, input]));
}

/** values reads a form's fields as the API's JSON (numbers, booleans, strings). */
export function values(form, fields) {
  const body = {};
  for (const f of fields) {
    const input = form.elements[f.name];
    if (f.type === 'checkbox') {
      body[f.name] = input.checked;
      continue;
    }
    const v = input.value.trim();
    if (!v) continue;
    body[f.name] = f.type === 'number' ? Number(v) : v;
  }
  return body;
}

// mountActionDialog runs the modules' actions: at once when there is
// nothing to ask, else behind the action dialog (its fields, a confirmation
// for the destructive ones, the API's problem shown in it). The live stream
// refreshes the page; done refreshes it at once as well.
function mountActionDialog(ui) {
  const { api, el, showError } = ui;
  const $ = (id) => document.getElementById(id);
  const dlg = $('action-dialog');
  const form = $('action-form');
  const fields = $('action-fields');
  const result = $('action-output');
  let pending = null;
  let opener = null;

  async function send(a, r, v) {
    if (a.download) return download(api, a.download(r), a.filename ? a.filename(r) : 'download', a.sha256 ? a.sha256(r) : '');
    const body = a.body ? a.body(v, r) : a.method === 'DELETE' ? undefined : v;
    const json = await api.request(a.method, a.path(r), body);
    return json ? json.data : null;
  }

  async function run(a, r, name, button, done) {
    if (!a.fields && !a.text && !a.keepOpen) {
      button.disabled = true;
      try {
        await send(a, r, {});
        done();
      } catch (err) {
        button.disabled = false;
        button.title = err.message;
        ui.toast(err.message);
      }
      return;
    }
    opener = button;
    pending = { a, r, done };
    $('action-dialog-title').textContent = `${a.label} ${name}`;
    $('action-dialog-text').textContent = a.text || '';
    $('action-dialog-text').hidden = !a.text;
    fields.replaceChildren(...(a.fields || []).map((f) => field(el, api, 'action', f)));
    result.hidden = true;
    result.textContent = '';
    const confirm = $('action-confirm');
    confirm.textContent = a.label;
    confirm.className = a.danger ? 'danger' : 'primary';
    confirm.disabled = false;
    $('action-cancel').textContent = 'Cancel';
    showError($('action-dialog-error'), null);
    dlg.showModal();
    (fields.querySelector('input, select, textarea') || confirm).focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!pending) return;
    const { a, r, done } = pending;
    const confirm = $('action-confirm');
    confirm.disabled = true;
    showError($('action-dialog-error'), null);
    try {
      const out = await send(a, r, values(form, a.fields || []));
      done();
      if (a.keepOpen || a.result) {
        result.hidden = false;
        result.textContent = a.result ? a.result(out || {}) : 'Done.';
        $('action-cancel').textContent = 'Close';
        confirm.disabled = !a.keepOpen;
      } else {
        dlg.close();
      }
    } catch (err) {
      showError($('action-dialog-error'), err);
      confirm.disabled = false;
    }
  });
  $('action-cancel').addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => {
    pending = null;
    if (opener && opener.isConnected) opener.focus();
  });
  return { run };
}

// download fetches a file with the caller's token and saves it.
// With recorded, the file's SHA-256 is compared with it.
async function download(api, path, filename, recorded) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${api.token()}` } });
  if (!res.ok) {
    throw await problemOf(res);
  }
  const blob = await res.blob();
  const sum = recorded ? await sha256(blob) : '';
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { filename, bytes: blob.size, sha256: sum, recorded: recorded || '', matches: !!sum && sum === recorded };
}
