import { z } from 'zod';
import { isoDay } from '../util/dates.js';
import { ToolInputError } from '../util/input-error.js';

/** A half-open span of Unix seconds, [from, to), as the analytics tools report it. */
export interface Period {
  from: number;
  to: number;
  /** `2026-10-01 to 2026-10-31` (inclusive days, UTC). */
  label: string;
}

export const PERIODS = [
  'today',
  'last_7_days',
  'last_30_days',
  'last_90_days',
  'this_month',
  'last_month',
  'this_quarter',
  'last_quarter',
  'this_year',
] as const;

const day = /^\d{4}-\d{2}-\d{2}$/;

/** The inputs every period-based analytics tool takes. */
export const periodInput = {
  period: z
    .enum(PERIODS)
    .optional()
    .describe('Calendar periods are UTC. Default last_30_days; from/to override it'),
  from: z
    .string()
    .regex(day, 'must be a date such as 2026-10-01')
    .optional()
    .describe('First day, YYYY-MM-DD'),
  to: z.string().regex(day, 'must be a date such as 2026-10-31').optional().describe('Last day, YYYY-MM-DD'),
};

const DAY = 86_400;
const utc = (y: number, m: number, d = 1) => Date.UTC(y, m, d) / 1000;

function parseDay(value: string, arg: string): number {
  const t = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(t) || isoDay(t / 1000) !== value) throw new ToolInputError(arg, `${value} is not a date.`);
  return t / 1000;
}

/** The span a tool call asks about, relative to `now` (Unix seconds). */
export function resolvePeriod(
  args: { period?: (typeof PERIODS)[number]; from?: string; to?: string },
  now: number,
): Period {
  let from: number;
  let to: number;
  if (args.from || args.to) {
    from = args.from ? parseDay(args.from, 'from') : parseDay(isoDay(now), 'from') - 29 * DAY;
    to = args.to ? parseDay(args.to, 'to') + DAY : Math.min(now + 1, parseDay(isoDay(now), 'to') + DAY);
    if (to <= from)
      throw new ToolInputError('to', `the period ends (${args.to}) before it starts (${args.from}).`);
  } else {
    const d = new Date(now * 1000);
    const [y, m] = [d.getUTCFullYear(), d.getUTCMonth()];
    const q = Math.floor(m / 3) * 3;
    const today = utc(y, m, d.getUTCDate());
    // A period that runs to now includes the current second: what was just created counts.
    const end = now + 1;
    [from, to] = {
      today: [today, end],
      last_7_days: [now - 7 * DAY, end],
      last_30_days: [now - 30 * DAY, end],
      last_90_days: [now - 90 * DAY, end],
      this_month: [utc(y, m), end],
      last_month: [utc(y, m - 1), utc(y, m)],
      this_quarter: [utc(y, q), end],
      last_quarter: [utc(y, q - 3), utc(y, q)],
      this_year: [utc(y, 0), end],
    }[args.period ?? 'last_30_days'] as [number, number];
  }
  return { from, to, label: `${isoDay(from)} to ${isoDay(to - 1)}` };
}
