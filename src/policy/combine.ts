// The stricter of two policies, for a tenant's policy inside the server's own: the intersection, never
// the union (a tenant can narrow what the server allows, never widen it).
import type { AmountLimit } from './amounts.js';
import type { ConfirmMode } from './confirm.js';

/** Per currency, the lower of the two limits (a currency only one of them covers keeps that one's). */
export function stricterLimit(
  a: AmountLimit | undefined,
  b: AmountLimit | undefined,
): AmountLimit | undefined {
  if (!a || !b) return a ?? b;
  const min = (x: number | undefined, y: number | undefined) =>
    x === undefined ? y : y === undefined ? x : Math.min(x, y);
  const byCurrency: Record<string, number> = {};
  for (const c of new Set([...Object.keys(a.byCurrency), ...Object.keys(b.byCurrency)]))
    byCurrency[c] = min(a.byCurrency[c] ?? a.default, b.byCurrency[c] ?? b.default)!;
  const d = min(a.default, b.default);
  return { ...(d === undefined ? {} : { default: d }), byCurrency };
}

/** The mode that asks for every confirmation either one asks for. */
export function stricterConfirm(a: ConfirmMode, b: ConfirmMode | undefined): ConfirmMode {
  if (b === undefined || a === b || b === 'none') return a;
  if (a === 'none') return b;
  return 'all';
}
