// A line diff for the console: what changed between two versions of a
// gateway policy, or between an MCP tool's pinned definition and the one its
// server offers now. Drawn as a table whose every changed line says in text
// (not only in colour) whether it was added or removed.

// At most this many lines a side are compared line by line (the table of an
// LCS is their product); beyond it the two sides are shown as replaced.
const MAX_LINES = 3000;
const CONTEXT = 3;

/**
 * diffLines compares two texts line by line (longest common subsequence).
 * @returns {{op: ' '|'-'|'+', text: string, a?: number, b?: number}[]} the
 *   lines in order, each with its line numbers in the old (a) and new (b) text
 */
export function diffLines(before, after) {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const n = a.length;
  const m = b.length;
  if (n > MAX_LINES || m > MAX_LINES) {
    return [...a.map((text, i) => ({ op: '-', text, a: i + 1 })), ...b.map((text, j) => ({ op: '+', text, b: j + 1 }))];
  }
  // lcs[i][j]: the longest common subsequence of a[i:] and b[j:].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: ' ', text: a[i], a: i + 1, b: j + 1 });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // What was removed reads before what replaced it.
      out.push({ op: '-', text: a[i], a: i + 1 });
      i++;
    } else {
      out.push({ op: '+', text: b[j], b: j + 1 });
      j++;
    }
  }
  return out;
}

/** pretty re-indents JSON text for a readable diff (other text is kept). */
export function pretty(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2) ?? '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * diffTable draws the diff of two texts: changed lines with three lines of
 * context, longer unchanged runs folded into one row that says how many.
 * @param {Function} el the page's element builder
 * @param {string} before
 * @param {string} after
 * @param {string} caption what is compared (the table's caption)
 * @returns {{node: HTMLElement, added: number, removed: number}}
 */
export function diffTable(el, before, after, caption) {
  const lines = diffLines(before, after);
  const added = lines.filter((l) => l.op === '+').length;
  const removed = lines.filter((l) => l.op === '-').length;
  const summary = added || removed
    ? `${added} line${added === 1 ? '' : 's'} added, ${removed} removed`
    : 'no difference';
  const table = el('table', { class: 'diff' });
  table.append(el('caption', { text: `${caption}: ${summary}` }));
  table.append(el('thead', {}, el('tr', {},
    el('th', { scope: 'col', class: 'ln', text: 'Old' }), el('th', { scope: 'col', class: 'ln', text: 'New' }),
    el('th', { scope: 'col', class: 'op', text: 'Change' }), el('th', { scope: 'col', text: 'Line' }))));
  const body = el('tbody');
  const near = lines.map(() => false);
  lines.forEach((l, k) => {
    if (l.op === ' ') return;
    for (let d = Math.max(0, k - CONTEXT); d <= Math.min(lines.length - 1, k + CONTEXT); d++) near[d] = true;
  });
  for (let k = 0; k < lines.length;) {
    if (!near[k] && lines[k].op === ' ') {
      let e = k;
      while (e < lines.length && !near[e]) e++;
      body.append(el('tr', { class: 'fold' }, el('td', { colSpan: 4, class: 'muted', text: `… ${e - k} unchanged line${e - k === 1 ? '' : 's'}` })));
      k = e;
      continue;
    }
    const l = lines[k];
    const cls = l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same';
    const mark = el('td', { class: 'op' });
    if (l.op !== ' ') {
      mark.append(el('span', { 'aria-hidden': 'true', text: l.op === '+' ? '+' : '\u2212' }),
        el('span', { class: 'visually-hidden', text: l.op === '+' ? 'added' : 'removed' }));
    }
    body.append(el('tr', { class: cls, 'data-op': l.op },
      el('td', { class: 'ln', text: l.a ? String(l.a) : '' }), el('td', { class: 'ln', text: l.b ? String(l.b) : '' }),
      mark, el('td', {}, el('code', { text: l.text || ' ' }))));
    k++;
  }
  table.append(body);
  const node = el('div', { class: 'table-wrap diff-wrap', tabIndex: 0, role: 'region', 'aria-label': caption }, table);
  return { node, added, removed };
}
