import { describe, expect, it } from 'vitest';
import { coverage, MAX_PAGES, pageAll } from './pages.js';
import { resolvePeriod } from './period.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

describe('analytics periods', () => {
  it('calendar periods are UTC and half-open; one that runs to now includes the current second', () => {
    const now = at('2026-01-15T10:00:00Z');
    const last = resolvePeriod({ period: 'last_month' }, now);
    expect([day(last.from), day(last.to)]).toEqual(['2025-12-01', '2026-01-01']);
    expect(last.label).toBe('2025-12-01 to 2025-12-31');
    const quarter = resolvePeriod({ period: 'last_quarter' }, now);
    expect(quarter.label).toBe('2025-10-01 to 2025-12-31');
    expect(resolvePeriod({ period: 'this_month' }, now)).toMatchObject({
      from: at('2026-01-01T00:00:00Z'),
      to: now + 1,
    });
    expect(resolvePeriod({}, now).label).toBe('2025-12-16 to 2026-01-15');
    expect(resolvePeriod({ from: '2025-11-01', to: '2025-11-30' }, now)).toMatchObject({
      from: at('2025-11-01T00:00:00Z'),
      to: at('2025-12-01T00:00:00Z'),
      label: '2025-11-01 to 2025-11-30',
    });
  });

  it('a date that does not exist or a period that ends before it starts is refused, naming the argument', () => {
    expect(() => resolvePeriod({ from: '2026-02-30' }, at('2026-03-10T00:00:00Z'))).toThrow(
      /2026-02-30 is not a date/,
    );
    expect(() => resolvePeriod({ from: '2026-03-02', to: '2026-03-01' }, at('2026-03-10T00:00:00Z'))).toThrow(
      /ends \(2026-03-01\) before it starts/,
    );
  });
});

describe('paging', () => {
  it(`stops after ${MAX_PAGES} requests and says it is incomplete; reports progress after each page`, async () => {
    let n = 0;
    const progress: number[] = [];
    const pages = await pageAll(
      ({ limit }) =>
        Promise.resolve({
          data: Array.from({ length: limit }, () => ({ id: `obj_${n++}` })),
          has_more: true,
        }),
      { progress: (p) => Promise.resolve(void progress.push(p)) },
      'objects',
    );
    expect(pages).toMatchObject({ requests: MAX_PAGES, complete: false });
    expect(pages.items).toHaveLength(MAX_PAGES * 100);
    expect(progress).toEqual(Array.from({ length: MAX_PAGES }, (_, i) => i + 1));
  });

  it('continues after the last id it read and stops on the last page', async () => {
    const seen: (string | undefined)[] = [];
    const pages = await pageAll(
      ({ starting_after }) => {
        seen.push(starting_after);
        return Promise.resolve(
          starting_after ? { data: [{ id: 'b' }], has_more: false } : { data: [{ id: 'a' }], has_more: true },
        );
      },
      { progress: () => Promise.resolve() },
      'objects',
    );
    expect(seen).toEqual([undefined, 'a']);
    expect(pages).toMatchObject({ requests: 2, complete: true, items: [{ id: 'a' }, { id: 'b' }] });
  });

  it('coverage says how many, which days and which currencies', () => {
    expect(coverage(2340, 'invoices', '2026-10-01 to 2026-10-31', ['eur', 'usd'])).toBe(
      '2,340 invoices, 2026-10-01 to 2026-10-31, eur and usd kept apart',
    );
    expect(coverage(3, 'charges', '2026-10-01 to 2026-10-31', ['jpy'])).toBe(
      '3 charges, 2026-10-01 to 2026-10-31, jpy only',
    );
  });
});
