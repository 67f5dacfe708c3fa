// The console's only script (served from /console/assets, as the Content-Security-Policy requires):
// live approvals over server-sent events, and the overview's charts (uPlot, bundled).
import uPlot from 'uplot';

const pending = document.querySelector<HTMLElement>('[data-live="approvals"]');
const pendingCount = document.getElementById('pending-count');

/**
 * Brings the pending list up to date item by item: new approvals are added, decided ones removed, and
 * the ones still waiting are left alone (a reason being typed, or a button being pressed, survives).
 */
function mergePending(list: HTMLElement, html: string): void {
  const next = document.createElement('template');
  next.innerHTML = html;
  const incoming = [...next.content.querySelectorAll<HTMLElement>('[data-approval]')];
  const current = [...list.querySelectorAll<HTMLElement>('[data-approval]')];
  if (incoming.length === 0 || current.length === 0) {
    if (incoming.length !== current.length || list.childElementCount === 0)
      list.replaceChildren(next.content);
    return;
  }
  const ids = new Set(incoming.map((el) => el.dataset.approval));
  for (const el of current) if (!ids.has(el.dataset.approval)) el.remove();
  const have = new Set(current.map((el) => el.dataset.approval));
  const ul = list.querySelector('ul');
  for (const el of incoming) if (!have.has(el.dataset.approval)) ul?.append(el);
}

async function refreshApprovals(): Promise<void> {
  if (pending) {
    const res = await fetch('/console/approvals?fragment=pending', { credentials: 'same-origin' });
    if (res.ok) mergePending(pending, await res.text());
  }
  if (pendingCount) {
    const res = await fetch('/console/api/overview', { credentials: 'same-origin' });
    if (res.ok) pendingCount.textContent = String(((await res.json()) as Overview).pending);
  }
}

if (pending || pendingCount) {
  const source = new EventSource('/console/api/stream');
  source.addEventListener('approvals', () => void refreshApprovals());
  // What changed between rendering the page and the stream opening: look once when it opens.
  source.addEventListener('ready', () => void refreshApprovals());
}

interface Overview {
  hours: number[];
  calls: number[];
  refusals: Record<string, number>;
  pending: number;
}

function chart(el: HTMLElement, x: number[], y: number[], opts: { time: boolean; label: string }): void {
  const bars = uPlot.paths.bars!({ size: [0.7, 40] });
  new uPlot(
    {
      width: Math.max(280, el.clientWidth),
      height: 200,
      scales: {
        x: opts.time ? { time: true } : { time: false, range: () => [-0.5, Math.max(0.5, x.length - 0.5)] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [
        opts.time ? {} : { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
        { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
      ],
      legend: { show: false },
      series: [
        {},
        {
          label: opts.label,
          stroke: '#635bff',
          fill: 'rgba(99, 91, 255, 0.35)',
          paths: bars,
          points: { show: false },
        },
      ],
    },
    [x, y],
    el,
  );
}

const calls = document.getElementById('chart-calls');
const refusals = document.getElementById('chart-refusals');
if (calls && refusals) {
  void fetch('/console/api/overview', { credentials: 'same-origin' })
    .then((r) => r.json() as Promise<Overview>)
    .then((o) => {
      chart(calls, o.hours, o.calls, { time: true, label: 'calls' });
      const codes = Object.keys(o.refusals).sort();
      chart(
        refusals,
        codes.map((_, i) => i),
        codes.map((c) => o.refusals[c]!),
        { time: false, label: 'refusals' },
      );
      const legend = document.getElementById('refusal-codes');
      for (const [i, code] of codes.entries()) {
        const li = document.createElement('li');
        li.textContent = `${i}: ${code} (${o.refusals[code]})`;
        legend?.append(li);
      }
      if (codes.length === 0 && legend) legend.textContent = 'No refusals.';
      document.body.dataset.charts = 'ready';
    });
}
