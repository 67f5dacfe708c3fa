import { ToolInputError } from '../util/input-error.js';

/**
 * An amount in minor units as Stripe takes it: a whole, non-negative number (`1000`), or the same as
 * canonical digits (`"1000"`, how form parameters travel). Anything else (`"1000.0"`, `" 1000"`,
 * `"+1000"`, `"1e3"`, `10.5`, `null`, `-5`) is refused, so no amount can slip past a limit by its
 * spelling. `undefined` stays undefined (the parameter was not given).
 */
export function minorUnits(value: unknown, param: string): number | undefined {
  if (value === undefined) return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^(0|[1-9]\d*)$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ToolInputError(
      param,
      `must be a whole number of minor units, such as 1000 for 10.00 USD (got ${describe(value)}).`,
    );
  }
  return n;
}

/** A count (`quantity`): a whole, non-negative number, spelt as `minorUnits` takes it. */
export function wholeNumber(value: unknown, param: string): number | undefined {
  try {
    return minorUnits(value, param);
  } catch {
    throw new ToolInputError(param, `must be a whole, non-negative number (got ${describe(value)}).`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  return `a ${Array.isArray(value) ? 'list' : typeof value}`;
}
