import { globRegExp } from '../util/glob.js';

/**
 * Which tools a deployment exposes. Patterns, for `--tools` (allow) and `--deny`:
 * - `all` or `*`: every tool;
 * - a tool name, with `*` wildcards allowed (`create_refund`, `list_*`);
 * - `toolset.*`, `toolset.read`, `toolset.write`, `toolset.money` (`customers.*`, `refunds.write`);
 * - `*.read`, `*.write`, `*.money` across toolsets.
 * Precedence: read-only beats deny beats allow. Tools that are not allowed are not listed at all.
 */
export interface Selectable {
  name: string;
  toolset: string;
  access: { write: boolean; moneyMoving: boolean };
}

export interface PermissionConfig {
  allow: 'all' | string[];
  deny: string[];
  readOnly: boolean;
  /** STRIPE_ALLOWED_OPERATIONS: resource families; undefined means no restriction. */
  operations?: string[];
}

/** Resource families for STRIPE_ALLOWED_OPERATIONS, each a set of toolsets. Toolset names work too. */
export const FAMILIES: Record<string, string[]> = {
  payments: ['payment_intents', 'payment_methods'],
  catalog: ['products', 'prices', 'coupons'],
  billing: ['subscriptions', 'invoices'],
  portal: ['billing_portal'],
  links: ['payment_links'],
};

const ACCESS = new Set(['read', 'write', 'money', '*']);

/** Whether `pattern` selects `tool`; throws with a reason when the pattern is malformed. */
export function matches(pattern: string, tool: Selectable): boolean {
  const p = pattern.trim();
  if (p === 'all' || p === '*') return true;
  const dot = p.indexOf('.');
  if (dot < 0) return p.includes('*') ? globRegExp(p).test(tool.name) : p === tool.name;
  const set = p.slice(0, dot);
  const access = p.slice(dot + 1);
  if (!ACCESS.has(access))
    throw new Error(`"${pattern}": after the dot use read, write, money or * (e.g. customers.read)`);
  if (set !== '*' && set !== tool.toolset) return false;
  if (access === 'read') return !tool.access.write;
  if (access === 'write') return tool.access.write;
  if (access === 'money') return tool.access.moneyMoving;
  return true;
}

export interface Selection<T> {
  tools: T[];
  problems: string[];
}

export function selectPermitted<T extends Selectable>(
  all: readonly T[],
  cfg: PermissionConfig,
): Selection<T> {
  const problems: string[] = [];
  const check = (flag: string, patterns: string[]) => {
    for (const p of patterns) {
      try {
        if (!all.some((t) => matches(p, t))) {
          problems.push(
            `${flag} pattern "${p}" matches no tool (toolsets: ${[...new Set(all.map((t) => t.toolset))].join(', ')}).`,
          );
        }
      } catch (err) {
        problems.push(`${flag} ${(err as Error).message}.`);
      }
    }
  };
  if (cfg.allow !== 'all') check('--tools', cfg.allow);
  check('--deny', cfg.deny);

  let toolsets: Set<string> | undefined;
  if (cfg.operations) {
    const known = new Set([...Object.keys(FAMILIES), ...all.map((t) => t.toolset)]);
    toolsets = new Set();
    for (const op of cfg.operations) {
      if (!known.has(op)) {
        problems.push(
          `STRIPE_ALLOWED_OPERATIONS names unknown family "${op}" (known: ${[...known].sort().join(', ')}).`,
        );
        continue;
      }
      for (const ts of FAMILIES[op] ?? [op]) toolsets.add(ts);
    }
  }
  if (problems.length > 0) return { tools: [], problems };
  return { tools: all.filter((t) => isPermitted(t, cfg, toolsets)), problems };
}

/** One tool against the policy: read-only beats deny beats allow. (Patterns are validated by selectPermitted.) */
export function isPermitted(
  t: Selectable,
  cfg: PermissionConfig,
  toolsets = operationToolsets(cfg.operations),
): boolean {
  const safe = (p: string) => {
    try {
      return matches(p, t);
    } catch {
      return false;
    }
  };
  return (
    !(cfg.readOnly && t.access.write) &&
    !cfg.deny.some(safe) &&
    (cfg.allow === 'all' || cfg.allow.some(safe)) &&
    (!toolsets || toolsets.has(t.toolset))
  );
}

function operationToolsets(operations: string[] | undefined): Set<string> | undefined {
  return operations && new Set(operations.flatMap((op) => FAMILIES[op] ?? [op]));
}
