// Charts drawn as inline SVG: a line chart with a linear or logarithmic x
// axis, used for the score history and for loss exceedance curves.

const NS = 'http://www.w3.org/2000/svg';

export function svg(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const W = 640;
const H = 240;
const PAD = { top: 14, right: 18, bottom: 30, left: 56 };

function linear(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

function logarithmic(d0, d1, r0, r1) {
  const l0 = Math.log10(d0);
  const l1 = Math.log10(d1);
  const span = l1 - l0 || 1;
  return (v) => r0 + ((Math.log10(Math.max(v, d0)) - l0) / span) * (r1 - r0);
}

function linearTicks(min, max, count) {
  if (max <= min) return [min];
  const out = [];
  for (let i = 0; i < count; i++) out.push(min + ((max - min) * i) / (count - 1));
  return out;
}

function logTicks(min, max) {
  const out = [];
  const first = Math.floor(Math.log10(min));
  const last = Math.ceil(Math.log10(max));
  const steps = last - first <= 2 ? [1, 2, 5] : [1];
  for (let e = first; e <= last; e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (v >= min && v <= max) out.push(v);
    }
  }
  return out.length >= 2 ? out : [min, max];
}

/**
 * Draws a line chart into container (replacing its content).
 * @param {HTMLElement} container
 * @param {{x:number,y:number,label?:string}[]} points sorted by x
 * @param {object} o options: label (accessible name), xLog, yMin, yMax,
 *   yTicks, xFormat, yFormat, empty (text when there are no points),
 *   markers (draw a dot per point), marks ([{x, label}] vertical guides),
 *   xDomain ([min, max] of the x axis; the points' extent by default)
 */
export function lineChart(container, points, o = {}) {
  container.replaceChildren();
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.xLog || p.x > 0));
  if (pts.length === 0) {
    const p = document.createElement('p');
    p.className = 'muted empty';
    p.textContent = o.empty || 'No data yet.';
    container.append(p);
    return null;
  }
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': o.label || 'Chart', class: 'chart-svg' });
  root.append(svg('title', {}, o.label || 'Chart'));

  let [x0, x1] = o.xDomain || [pts[0].x, pts[pts.length - 1].x];
  if (x0 === x1) {
    x0 = o.xLog ? x0 / 2 : x0 - 1;
    x1 = o.xLog ? x1 * 2 : x1 + 1;
  }
  const ys = pts.map((p) => p.y);
  const y0 = o.yMin ?? Math.min(...ys);
  let y1 = o.yMax ?? Math.max(...ys);
  if (y1 <= y0) y1 = y0 + 1;

  const left = PAD.left;
  const right = W - PAD.right;
  const top = PAD.top;
  const bottom = H - PAD.bottom;
  const sx = o.xLog ? logarithmic(x0, x1, left, right) : linear(x0, x1, left, right);
  const sy = linear(y0, y1, bottom, top);
  const fx = o.xFormat || ((v) => String(v));
  const fy = o.yFormat || ((v) => String(Math.round(v)));

  // Grid and y axis labels.
  const grid = svg('g', { class: 'grid' });
  for (const v of o.yTicks || linearTicks(y0, y1, 5)) {
    const y = sy(v);
    grid.append(svg('line', { x1: left, x2: right, y1: y, y2: y }));
    grid.append(svg('text', { x: left - 8, y: y + 4, 'text-anchor': 'end', class: 'tick' }, fy(v)));
  }
  const xt = o.xLog ? logTicks(x0, x1) : linearTicks(x0, x1, 5);
  xt.forEach((v, i) => {
    const x = sx(v);
    const anchor = xt.length > 1 && i === 0 ? 'start' : i === xt.length - 1 ? 'end' : 'middle';
    grid.append(svg('line', { x1: x, x2: x, y1: bottom, y2: bottom + 4, class: 'tick-mark' }));
    grid.append(svg('text', { x, y: H - 10, 'text-anchor': anchor, class: 'tick' }, fx(v)));
  });
  grid.append(svg('line', { x1: left, x2: right, y1: bottom, y2: bottom, class: 'axis' }));
  root.append(grid);

  for (const m of o.marks || []) {
    if (!(m.x >= x0 && m.x <= x1)) continue;
    const x = sx(m.x);
    const g = svg('g', { class: 'mark' });
    g.append(svg('line', { x1: x, x2: x, y1: top, y2: bottom }));
    g.append(svg('text', { x: x + 4, y: top + 10, class: 'tick' }, m.label));
    root.append(g);
  }

  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
  if (pts.length > 1) {
    const area = `${d} L${sx(pts[pts.length - 1].x).toFixed(1)},${bottom} L${sx(pts[0].x).toFixed(1)},${bottom} Z`;
    root.append(svg('path', { d: area, class: 'area' }));
    root.append(svg('path', { d, class: 'line' }));
  } else {
    root.append(svg('line', { x1: left, x2: right, y1: sy(pts[0].y), y2: sy(pts[0].y), class: 'line dashed' }));
  }
  if (o.markers || pts.length === 1) {
    const g = svg('g', { class: 'markers' });
    for (const p of pts) {
      const c = svg('circle', { cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 3.5 });
      c.append(svg('title', {}, p.label || `${fx(p.x)}: ${fy(p.y)}`));
      g.append(c);
    }
    root.append(g);
  }
  container.append(root);
  return root;
}

/** A round tick step (1, 2, 2.5 or 5 × 10^k) that splits 0..max in about count parts. */
export function niceStep(max, count = 5) {
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

export const money = (v) => {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `$${(v / 1e9).toFixed(a >= 1e10 ? 0 : 1)}B`;
  if (a >= 1e6) return `$${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `$${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  return `$${Math.round(v)}`;
};

/**
 * Draws a simulation's loss exceedance curve: the probability that the
 * annual loss exceeds an amount, on a logarithmic loss axis, with the mean
 * and the 99th percentile marked. Used by the overview and the risk page.
 * @param {HTMLElement} container
 * @param {object} r the simulation's results (loss_exceedance_curve, mean_ale, p99)
 * @param {string} title the risk's title
 */
export function lossExceedanceChart(container, r, title) {
  const pts = (r.loss_exceedance_curve || []).map((p) => ({
    x: p.loss, y: p.probability * 100, label: `P(loss > ${money(p.loss)}) = ${(p.probability * 100).toFixed(2)}%`,
  }));
  const maxY = Math.max(0.1, ...pts.map((p) => p.y));
  const step = niceStep(maxY, 5);
  const yMax = Math.ceil(maxY / step - 1e-9) * step;
  const yTicks = [];
  for (let v = 0; v <= yMax + step / 2; v += step) yTicks.push(v);
  return lineChart(container, pts, {
    label: `Loss exceedance curve of \u201c${title}\u201d: probability that the annual loss exceeds an amount`,
    xLog: true, yMin: 0, yMax, yTicks,
    xFormat: money, yFormat: (v) => `${step < 1 ? v.toFixed(1) : Math.round(v)}%`,
    markers: false,
    marks: [{ x: r.mean_ale, label: 'mean' }, { x: r.p99, label: 'p99' }],
    empty: 'The simulation recorded no losses.',
  });
}
