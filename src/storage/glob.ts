import { globRegExp } from '../util/glob.js';

/** `invoice.*`, `*.succeeded`, `customer.subscription.*`: `*` matches any run of characters. */
export function typeMatcher(pattern: string | undefined): (type: string) => boolean {
  if (!pattern || pattern === '*') return () => true;
  if (!pattern.includes('*')) return (t) => t === pattern;
  const re = globRegExp(pattern);
  return (t) => re.test(t);
}

/** The same pattern as a SQL LIKE expression (escape char `\`). */
export function typeLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

/**
 * Within one second, where Stripe's `created` cannot order events, the lifecycle does:
 * `*.created` < `*.updated` < anything else < `*.deleted`.
 */
export function lifecycleRank(type: string): number {
  if (type.endsWith('.created')) return 0;
  if (type.endsWith('.updated')) return 1;
  if (type.endsWith('.deleted')) return 3;
  return 2;
}

/** Whether event `a` is newer than `b` for an object's state: by created, lifecycle, then id (deterministic). */
export function newer(
  a: { created: number; type: string; id: string },
  b: { created: number; type: string; id: string },
): boolean {
  if (a.created !== b.created) return a.created > b.created;
  const ra = lifecycleRank(a.type);
  const rb = lifecycleRank(b.type);
  return ra !== rb ? ra > rb : a.id > b.id;
}
