// `--seed=demo`: a small business in the sandbox, so there is something to explore on the first start.
// About 200 customers over the last 120 days, products with monthly and yearly prices, subscriptions
// (trials, upgrades, cancellations), one-off payments (declines, refunds, a few disputes) in several
// currencies, weekly payouts, and the events all of that produced. It is made through the sandbox's own
// API, in time order, with the sandbox's clock set to each moment, so every object, balance
// transaction and event is what those requests would have made then. Deterministic: the same seed and
// day give the same ids, amounts and times.
import type { Hono } from 'hono';
import qs from 'qs';
import type { SandboxEnv } from './middleware.js';
import { runDueUntil } from './resources/subscription-cycle.js';
import { drawIdsFrom, type AccountStore, type Clock } from './store.js';

const DAY = 86_400;

/** A clock that can be held at a moment (the seed's), and otherwise tells the time of `base`. */
export class PinnableClock implements Clock {
  private pinned: number | undefined;
  constructor(private readonly base: Clock) {}
  now(): number {
    return this.pinned ?? this.base.now();
  }
  pin(time: number | undefined): void {
    this.pinned = time;
  }
}

export interface SeedSummary {
  customers: number;
  subscriptions: number;
  payments: number;
  declined: number;
  refunds: number;
  disputes: number;
  payouts: number;
  /** The seeded period, in Unix seconds. */
  from: number;
  to: number;
}

/** mulberry32: a small, fast PRNG; plenty for made-up businesses. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Ada',
  'Ben',
  'Chloé',
  'Dev',
  'Elif',
  'Femi',
  'Greta',
  'Hiro',
  'Ines',
  'Jonas',
  'Kaia',
  'Luis',
  'Mina',
  'Noor',
  'Oskar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tomás',
];
const LAST = [
  'Almeida',
  'Brandt',
  'Chen',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Laurent',
  'Mensah',
  'Novak',
];
const DECLINING = [
  'pm_card_chargeDeclinedInsufficientFunds',
  'pm_card_chargeDeclined',
  'pm_card_chargeDeclinedLostCard',
  'pm_card_chargeDeclinedExpiredCard',
];
const GOOD_CARDS = ['pm_card_visa', 'pm_card_visa', 'pm_card_mastercard', 'pm_card_amex'];
const ONE_OFF = [1_500, 2_900, 4_900, 9_900, 14_900, 24_900];
/** Zero-decimal: yen. */
const ONE_OFF_JPY = [1_500, 3_000, 8_000, 12_000];

type Json = Record<string, unknown>;

/** Ids come from one process-wide source while a seed runs: two seeds in one process take turns. */
let seeding: Promise<unknown> = Promise.resolve();

export function seedDemo(...args: Parameters<typeof seedOne>): Promise<SeedSummary> {
  const run = seeding.then(() => seedOne(...args));
  seeding = run.catch(() => undefined);
  return run;
}

async function seedOne(
  app: Hono<SandboxEnv>,
  store: AccountStore,
  clock: PinnableClock,
  apiKey: string,
  opts: { seed?: number; days?: number; customers?: number } = {},
): Promise<SeedSummary> {
  const random = prng(opts.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const days = opts.days ?? 120;
  // Anchored to today (UTC midnight): the same seed on the same day is the same business.
  const to = Math.floor(clock.now() / DAY) * DAY;
  const from = to - days * DAY;
  const summary: SeedSummary = {
    customers: 0,
    subscriptions: 0,
    payments: 0,
    declined: 0,
    refunds: 0,
    disputes: 0,
    payouts: 0,
    from,
    to,
  };

  const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, params: Json = {}) => {
    const encoded = qs.stringify(params, { arrayFormat: 'indices' });
    const res = await app.request(method === 'POST' || !encoded ? path : `${path}?${encoded}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      ...(method === 'POST' ? { body: encoded } : {}),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const ok = async (method: 'GET' | 'POST' | 'DELETE', path: string, params: Json = {}) => {
    const r = await call(method, path, params);
    if (r.status !== 200)
      throw new Error(`demo seed: ${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  const actions: { at: number; order: number; run: () => Promise<void> }[] = [];
  const at = (time: number, run: () => Promise<void>) => {
    if (time < to) actions.push({ at: time, order: actions.length, run });
  };

  // The catalog, on the first day.
  const prices: Record<string, string> = {};
  at(from, async () => {
    const plans: [string, string, [string, 'month' | 'year', number][]][] = [
      [
        'Starter',
        'For one person',
        [
          ['usd', 'month', 1_900],
          ['usd', 'year', 19_000],
          ['eur', 'month', 1_800],
        ],
      ],
      [
        'Pro',
        'For growing teams',
        [
          ['usd', 'month', 4_900],
          ['usd', 'year', 49_000],
          ['eur', 'month', 4_500],
        ],
      ],
      ['Team', 'For organisations', [['usd', 'month', 9_900]]],
    ];
    for (const [name, description, list] of plans) {
      const product = await ok('POST', '/v1/products', {
        name,
        description,
        metadata: { plan: name.toLowerCase() },
      });
      for (const [currency, interval, unit_amount] of list) {
        const price = await ok('POST', '/v1/prices', {
          product: product.id,
          currency,
          unit_amount,
          recurring: { interval },
          lookup_key: `${name.toLowerCase()}_${currency}_${interval}ly`,
        });
        prices[`${name}:${currency}:${interval}`] = price.id as string;
      }
    }
    // Two coupons some subscribers start with: 25% off for three months, and 10% off for good.
    await ok('POST', '/v1/coupons', {
      id: 'LAUNCH25',
      percent_off: 25,
      duration: 'repeating',
      duration_in_months: 3,
    });
    await ok('POST', '/v1/coupons', { id: 'PARTNER10', percent_off: 10, duration: 'forever' });
  });

  const count = opts.customers ?? 200;
  for (let i = 0; i < count; i++) {
    const created = from + DAY / 2 + Math.floor(random() * (days - 2) * DAY);
    const roll = random();
    const currency = roll < 0.7 ? 'usd' : roll < 0.9 ? 'eur' : roll < 0.97 ? 'gbp' : 'jpy';
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const card = pick(GOOD_CARDS);
    const who: { customer?: string; pm?: string } = {};
    at(created, async () => {
      const customer = await ok('POST', '/v1/customers', {
        name,
        email: `${name
          .toLowerCase()
          .normalize('NFD')
          .replace(/[^a-z ]/g, '')
          .replace(' ', '.')}.${i}@example.com`,
        metadata: { demo: 'true' },
      });
      who.customer = customer.id as string;
      const pm = await ok('POST', `/v1/payment_methods/${card}/attach`, { customer: who.customer });
      who.pm = pm.id as string;
      await ok('POST', `/v1/customers/${who.customer}`, {
        invoice_settings: { default_payment_method: who.pm },
      });
      summary.customers++;
    });

    // A subscription for most (not in gbp or jpy, which have no prices).
    if ((currency === 'usd' || currency === 'eur') && random() < 0.62) {
      const r = random();
      const plan = r < 0.55 ? 'Starter' : r < 0.9 || currency === 'eur' ? 'Pro' : 'Team';
      const interval = currency === 'usd' && plan !== 'Team' && random() < 0.2 ? 'year' : 'month';
      const trial = random() < 0.3;
      const coupon = random() < 0.15 ? (random() < 0.5 ? 'LAUNCH25' : 'PARTNER10') : undefined;
      const sub: { id?: string; item?: string } = {};
      at(created + 60, async () => {
        const s = await ok('POST', '/v1/subscriptions', {
          customer: who.customer,
          items: [{ price: prices[`${plan}:${currency}:${interval}`] }],
          ...(trial ? { trial_period_days: 14 } : {}),
          ...(coupon ? { discounts: [{ coupon }] } : {}),
        });
        sub.id = s.id as string;
        sub.item = (s.items as { data: Json[] }).data[0]!.id as string;
        summary.subscriptions++;
      });
      if (plan === 'Starter' && random() < 0.2) {
        at(created + (20 + Math.floor(random() * 40)) * DAY, async () => {
          if (!sub.id) return;
          // A subscription that ended first (canceled, or its payments failed) is not upgraded.
          if ((await ok('GET', `/v1/subscriptions/${sub.id}`)).status === 'canceled') return;
          await ok('POST', `/v1/subscriptions/${sub.id}`, {
            items: [{ id: sub.item, price: prices[`Pro:${currency}:${interval}`] }],
            proration_behavior: 'none',
          });
        });
      }
      if (random() < 0.18) {
        at(created + (10 + Math.floor(random() * 80)) * DAY, async () => {
          if (sub.id) await ok('DELETE', `/v1/subscriptions/${sub.id}`);
        });
      }
    }

    // One-off payments for some: a few decline, some are refunded, a few disputed.
    if (random() < 0.45) {
      const n = 1 + Math.floor(random() * 3);
      for (let k = 0; k < n; k++) {
        const when = created + 3_600 + Math.floor(random() * 30 * DAY);
        const amount = currency === 'jpy' ? pick(ONE_OFF_JPY) : pick(ONE_OFF);
        const declines = random() < 0.1;
        const disputed = !declines && i % 61 === 7 && k === 0;
        const refund =
          !declines && !disputed && random() < 0.12 ? (random() < 0.5 ? amount : Math.floor(amount / 2)) : 0;
        const refundAfter = (1 + Math.floor(random() * 10)) * DAY;
        const declining = pick(DECLINING);
        at(when, async () => {
          const r = await call('POST', '/v1/payment_intents', {
            amount,
            currency,
            customer: who.customer,
            payment_method: declines ? declining : disputed ? 'pm_card_createDispute' : who.pm,
            confirm: 'true',
            description: `Order ${1000 + i * 3 + k}`,
          });
          if (r.status !== 200) {
            summary.declined++;
            return;
          }
          summary.payments++;
          if (disputed) summary.disputes++;
          if (refund) {
            at(when + refundAfter, async () => {
              await ok('POST', '/v1/refunds', {
                payment_intent: r.body.id,
                amount: refund,
                reason: 'requested_by_customer',
              });
              summary.refunds++;
            });
          }
        });
      }
    }
  }

  // Weekly payouts of most of what is available, per currency.
  for (let t = from + 7 * DAY + 10 * 3_600; t < to; t += 7 * DAY) {
    at(t, async () => {
      const balance = await ok('GET', '/v1/balance');
      for (const b of balance.available as { amount: number; currency: string }[]) {
        const amount = Math.floor(b.amount * 0.9);
        if (amount < 100) continue;
        await ok('POST', '/v1/payouts', { amount, currency: b.currency, description: 'Weekly payout' });
        summary.payouts++;
      }
    });
  }

  // What subscriptions do by themselves (trials end, periods renew and are paid), up to `until`, in order.
  const catchUp = (until: number) => runDueUntil(store, () => store.all('subscription'), until);

  drawIdsFrom(random);
  try {
    // In time order; actions added while running (refunds) join the queue at their moment.
    while (actions.length > 0) {
      actions.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = actions.shift()!;
      catchUp(next.at);
      clock.pin(next.at);
      await next.run();
    }
    catchUp(to);
  } finally {
    clock.pin(undefined);
    drawIdsFrom(undefined);
  }
  return summary;
}
