import { endpoints } from '../catalog/index.js';
import { MONEY_RULES } from './model.js';
import { NONE_GROUPS } from './none.js';

/** docs/money.md: every money rule, and the groups of write endpoints declared as moving none. */
export function renderMoneyMarkdown(): string {
  const byId = new Map(endpoints().map((e) => [e.id, e]));
  const rows = Object.entries(MONEY_RULES).map(([id, r]) => {
    const ep = byId.get(id);
    return `| \`${ep ? `${ep.method} ${ep.path}` : id}\` | ${r.direction} | ${r.counts} |`;
  });
  const none = NONE_GROUPS.map(([reason, ids]) => `| ${reason} | ${ids.length} |`);
  return [
    '# What each endpoint moves',
    '',
    'Generated from `src/money/` by `npm run docs:tools` (a test fails when it is stale). Named tools and',
    '`stripe_api_write` read the same rules; see [security.md](security.md) for the limits that use them.',
    '`in`: collected from customers or into the balance; `out`: leaving the balance. The daily limit counts',
    'both in one bucket per currency.',
    '',
    '| endpoint | direction | counted |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '## Declared as moving none',
    '',
    '| why | endpoints |',
    '| --- | --- |',
    ...none,
    '',
    'Any other write endpoint (one a newer SDK adds) counts as moving money of unknown amount: it is',
    'confirmed under `--confirm=money`, and refused wherever an amount limit applies, until it is declared.',
    '',
  ].join('\n');
}
