// Directed graphs drawn as plain SVG in layers: the CyberTwins asset graph
// (entry points on the left, crown jewels to the right, attack paths
// highlighted) and Data Governance lineage (upstream to downstream). A
// layered layout reads left to right like the paths it shows, and it is
// stable: the same graph is drawn the same way after every live refresh.

import { svg } from './charts.js';

const NODE_W = 150;
const NODE_H = 40;
const COL_GAP = 70;
const ROW_GAP = 18;
const PAD = 16;

/**
 * layers assigns each node a column: its longest distance from a node with
 * no incoming edge (cycles are broken by ignoring edges back into a node
 * already on the current walk).
 * @param {string[]} ids
 * @param {{source:string,target:string}[]} edges
 * @returns {Map<string, number>}
 */
export function layers(ids, edges) {
  const out = new Map(ids.map((id) => [id, []]));
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of edges) {
    if (!out.has(e.source) || !out.has(e.target) || e.source === e.target) continue;
    out.get(e.source).push(e.target);
    indeg.set(e.target, indeg.get(e.target) + 1);
  }
  const col = new Map();
  const onWalk = new Set();
  const visit = (id, depth) => {
    if (onWalk.has(id) || (col.has(id) && col.get(id) >= depth)) return;
    col.set(id, depth);
    onWalk.add(id);
    for (const t of out.get(id)) visit(t, depth + 1);
    onWalk.delete(id);
  };
  for (const id of ids) if (indeg.get(id) === 0) visit(id, 0);
  for (const id of ids) if (!col.has(id)) visit(id, 0); // a pure cycle
  return col;
}

const key = (s, t) => `${s}\u2192${t}`;

/**
 * Draws a layered graph into container (replacing its content).
 * @param {HTMLElement} container
 * @param {{id:string,label:string,sub?:string,kind?:string,marks?:string[]}[]} nodes
 * @param {{source:string,target:string,label?:string}[]} edges
 * @param {object} o label (accessible name), highlight (a Set of
 *   "source→target" keys drawn as the highlighted path), empty (text when
 *   there are no nodes), onNode(id) (a node is a link when given)
 */
export function layeredGraph(container, nodes, edges, o = {}) {
  container.replaceChildren();
  if (!nodes.length) {
    const p = document.createElement('p');
    p.className = 'muted empty';
    p.textContent = o.empty || 'Nothing to draw yet.';
    container.append(p);
    return null;
  }
  const ids = nodes.map((n) => n.id);
  const col = layers(ids, edges);
  const columns = [];
  for (const n of nodes) {
    const c = col.get(n.id) || 0;
    (columns[c] ||= []).push(n);
  }
  // Order each column by the mean row of its predecessors (one sweep), so
  // that edges cross less.
  const row = new Map();
  const preds = new Map(ids.map((id) => [id, []]));
  for (const e of edges) if (preds.has(e.target)) preds.get(e.target).push(e.source);
  columns.forEach((nodesOf, c) => {
    if (c > 0) {
      const bary = (n) => {
        const r = preds.get(n.id).filter((p) => row.has(p)).map((p) => row.get(p));
        return r.length ? r.reduce((a, b) => a + b, 0) / r.length : Infinity;
      };
      nodesOf.sort((a, b) => bary(a) - bary(b));
    }
    nodesOf.forEach((n, i) => row.set(n.id, i));
  });
  const rows = Math.max(...columns.map((c) => (c ? c.length : 0)));
  const W = PAD * 2 + columns.length * NODE_W + (columns.length - 1) * COL_GAP;
  const H = PAD * 2 + rows * NODE_H + (rows - 1) * ROW_GAP;
  const pos = new Map();
  columns.forEach((nodesOf, c) => {
    const offset = ((rows - nodesOf.length) * (NODE_H + ROW_GAP)) / 2;
    nodesOf.forEach((n, i) => pos.set(n.id, { x: PAD + c * (NODE_W + COL_GAP), y: PAD + offset + i * (NODE_H + ROW_GAP) }));
  });

  const hi = o.highlight || new Set();
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': o.label || 'Graph', class: 'graph-svg' });
  root.append(svg('title', {}, o.label || 'Graph'));
  const defs = svg('defs');
  for (const [id, cls] of [['arrow', 'arrow'], ['arrow-hi', 'arrow hi']]) {
    const m = svg('marker', { id: `${container.id || 'g'}-${id}`, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    m.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
    defs.append(m);
  }
  root.append(defs);

  const edgeLayer = svg('g', { class: 'edges' });
  const hiLayer = svg('g', { class: 'edges hi' });
  for (const e of edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (!a || !b) continue;
    const on = hi.has(key(e.source, e.target));
    const forward = b.x > a.x;
    const x1 = forward ? a.x + NODE_W : a.x + NODE_W / 2;
    const y1 = forward ? a.y + NODE_H / 2 : a.y + NODE_H;
    const x2 = forward ? b.x : b.x + NODE_W / 2;
    const y2 = forward ? b.y + NODE_H / 2 : b.y + NODE_H;
    const mx = (x1 + x2) / 2;
    const d = forward
      ? `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`
      : `M${x1},${y1} C${x1},${y1 + 40} ${x2},${y2 + 40} ${x2},${y2}`;
    const p = svg('path', { d, class: on ? 'edge hi' : 'edge', 'marker-end': `url(#${container.id || 'g'}-${on ? 'arrow-hi' : 'arrow'})`, 'data-edge': key(e.source, e.target) });
    if (e.label) p.append(svg('title', {}, e.label));
    (on ? hiLayer : edgeLayer).append(p);
  }
  root.append(edgeLayer, hiLayer);

  const onPath = new Set();
  for (const k of hi) for (const id of k.split('\u2192')) onPath.add(id);
  const nodeLayer = svg('g', { class: 'nodes' });
  for (const n of nodes) {
    const p = pos.get(n.id);
    const cls = ['node', n.kind ? `k-${n.kind}` : '', onPath.has(n.id) ? 'hi' : '', ...(n.marks || []).map((m) => `m-${m}`)].filter(Boolean).join(' ');
    const g = svg('g', { class: cls, transform: `translate(${p.x},${p.y})`, 'data-node': n.id });
    g.append(svg('title', {}, [n.label, n.sub, ...(n.marks || [])].filter(Boolean).join(' · ')));
    g.append(svg('rect', { width: NODE_W, height: NODE_H, rx: 7 }));
    g.append(svg('text', { x: 9, y: 17, class: 'label' }, clip(n.label, 20)));
    if (n.sub) g.append(svg('text', { x: 9, y: 32, class: 'sub' }, clip(n.sub, 24)));
    nodeLayer.append(g);
  }
  root.append(nodeLayer);
  const wrap = document.createElement('div');
  wrap.className = 'graph-wrap';
  wrap.tabIndex = 0; // scrollable by keyboard at phone width
  wrap.setAttribute('role', 'group');
  wrap.setAttribute('aria-label', `${o.label || 'Graph'} (scrolls)`);
  wrap.append(root);
  container.append(wrap);
  return root;
}

/** pathKeys are the highlight keys of a path given as its assets in order. */
export function pathKeys(assets) {
  const out = new Set();
  for (let i = 1; i < assets.length; i++) out.add(key(assets[i - 1], assets[i]));
  return out;
}

function clip(s, n) {
  s = String(s || '');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
