import type Stripe from 'stripe';
import { z } from 'zod';
import { formatMoney } from '../../money/currencies.js';
import type { StoredEvent } from '../../storage/ports.js';
import { isStripeError } from '../../stripe/client.js';
import { describeStripeError } from '../../stripe/errors.js';
import { isoDay } from '../../util/dates.js';
import { parseDuration } from '../../util/duration.js';
import { defineTool, READ, ToolInputError, type ToolContext } from '../define-tool.js';
import { idOf, nextActionAdvice } from '../shapes.js';

const LOCAL: typeof READ = { ...READ, openWorldHint: false };

const eventShape = z.object({
  id: z.string(),
  type: z.string(),
  created: z.number().int(),
  object_type: z.string().nullable(),
  object_id: z.string().nullable(),
  livemode: z.boolean(),
  account: z.string().nullable(),
  received_at: z.number().int().describe('Unix seconds this server stored it'),
});
const event = (e: StoredEvent): z.input<typeof eventShape> => ({
  id: e.id,
  type: e.type,
  created: e.created,
  object_type: e.objectType,
  object_id: e.objectId,
  livemode: e.livemode,
  account: e.account,
  received_at: Math.floor(e.receivedAt / 1000),
});

function feed(ctx: ToolContext) {
  if (!ctx.events) throw new Error('this server keeps no event log');
  return ctx.events;
}

const now = () => Math.floor(Date.now() / 1000);

/** `since`: Unix seconds, or a duration back from now such as `30m`, `24h`, `7d`. */
function sinceToUnix(since: number | string | undefined): number | undefined {
  if (since === undefined || typeof since === 'number') return since;
  const ms = parseDuration(since);
  if (ms === undefined)
    throw new ToolInputError('since', 'pass Unix seconds, or a duration such as 30m, 24h or 7d.');
  return now() - Math.floor(ms / 1000);
}

export const eventTools = [
  defineTool({
    name: 'get_payment_status',
    title: 'Get payment status',
    description:
      'Status of a PaymentIntent (with refunds and disputes) from received webhook events, saying how old, else from the API. Cheap to poll.',
    toolset: 'events',
    annotations: READ,
    input: { payment_intent_id: z.string().describe('pi_…') },
    output: z.object({
      payment_intent: z.string(),
      status: z.string(),
      amount: z.number().int(),
      amount_received: z.number().int(),
      currency: z.string(),
      customer: z.string().nullable(),
      last_payment_error: z
        .object({
          code: z.string().nullable(),
          decline_code: z.string().nullable(),
          message: z.string().nullable(),
        })
        .nullable(),
      amount_refunded: z.number().int(),
      refunds: z.array(z.object({ id: z.string(), amount: z.number().int(), status: z.string().nullable() })),
      disputes: z.array(
        z.object({ id: z.string(), amount: z.number().int(), status: z.string(), reason: z.string() }),
      ),
      source: z.enum(['event_log', 'api']),
      as_of: z.number().int().describe('Unix seconds of the state'),
      age_seconds: z.number().int(),
      last_event_type: z.string().nullable(),
    }),
    async handler({ payment_intent_id: id }, ctx) {
      const known = ctx.events ? await ctx.events.log.objectState(id) : undefined;
      let pi: Record<string, unknown>;
      let source: 'event_log' | 'api' = 'event_log';
      let asOf: number;
      let lastType: string | null = null;
      if (known && known.state.object === 'payment_intent') {
        pi = known.state;
        asOf = known.created;
        lastType = (await ctx.events!.log.get(known.eventId))?.type ?? null;
      } else {
        pi = (await ctx.stripe.paymentIntents.retrieve(id)) as unknown as Record<string, unknown>;
        source = 'api';
        asOf = now();
      }
      const err = pi.last_payment_error as { code?: string; decline_code?: string; message?: string } | null;
      const advice = nextActionAdvice(pi as unknown as Stripe.PaymentIntent);
      if (advice) ctx.note(advice);
      // A payment that succeeded may since have been refunded or disputed: the status stays `succeeded`.
      // What the key may not read (a restricted key without refunds) leaves the status standing, said.
      const readAfter = async <T>(what: string, list: () => Promise<{ data: T[] }>): Promise<T[]> => {
        if (pi.status !== 'succeeded') return [];
        try {
          return (await list()).data;
        } catch (err) {
          if (!isStripeError(err)) throw err;
          ctx.note(`Its ${what} could not be read (${describeStripeError(err).message}); the status stands.`);
          return [];
        }
      };
      const [listed, disputes] = await Promise.all([
        readAfter('refunds', () => ctx.stripe.refunds.list({ payment_intent: id, limit: 100 })),
        readAfter('disputes', () => ctx.stripe.disputes.list({ payment_intent: id, limit: 100 })),
      ]);
      const refunds = listed.filter((r) => r.status !== 'failed' && r.status !== 'canceled');
      const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
      const money = (n: number) => formatMoney(n, String(pi.currency));
      if (refunded > 0)
        ctx.note(
          `${refunded >= Number(pi.amount_received) ? 'Refunded in full' : 'Partly refunded'}: ${money(refunded)} of ${money(Number(pi.amount_received))}.`,
        );
      for (const d of disputes)
        ctx.note(
          `Disputed (${d.reason}): ${d.id} is ${d.status}${d.evidence_details?.due_by ? `, evidence due ${isoDay(d.evidence_details.due_by)}` : ''}.`,
        );
      return {
        payment_intent: String(pi.id),
        status: String(pi.status),
        amount: Number(pi.amount),
        amount_received: Number(pi.amount_received ?? 0),
        currency: String(pi.currency),
        customer: idOf(pi.customer as string | null),
        last_payment_error: err
          ? { code: err.code ?? null, decline_code: err.decline_code ?? null, message: err.message ?? null }
          : null,
        amount_refunded: refunded,
        refunds: refunds.map((r) => ({ id: r.id, amount: r.amount, status: r.status })),
        disputes: disputes.map((d) => ({ id: d.id, amount: d.amount, status: d.status, reason: d.reason })),
        source,
        as_of: asOf,
        age_seconds: Math.max(0, now() - asOf),
        last_event_type: lastType,
      };
    },
  }),
  defineTool({
    name: 'list_events',
    title: 'List events',
    description: 'Stripe events received by this server, newest first. type takes globs (invoice.*).',
    toolset: 'events',
    annotations: LOCAL,
    input: {
      type: z.string().optional().describe('e.g. payment_intent.succeeded, invoice.*'),
      object_id: z.string().optional().describe('Events about this object'),
      since: z.union([z.number().int(), z.string()]).optional().describe('Unix seconds, or 30m / 24h / 7d'),
      limit: z.number().int().min(1).max(100).optional(),
      starting_after: z.string().optional(),
    },
    output: z.object({
      data: z.array(eventShape),
      has_more: z.boolean(),
      next_starting_after: z.string().nullable(),
    }),
    async handler(args, ctx) {
      const page = await feed(ctx).log.list({
        type: args.type,
        objectId: args.object_id,
        since: sinceToUnix(args.since),
        limit: args.limit ?? 10,
        startingAfter: args.starting_after,
      });
      const noSource = feed(ctx).noSource;
      if (page.events.length === 0 && noSource) ctx.note(noSource);
      return {
        data: page.events.map(event),
        has_more: page.hasMore,
        next_starting_after: page.hasMore ? (page.events.at(-1)?.id ?? null) : null,
      };
    },
  }),
  defineTool({
    name: 'wait_for_event',
    title: 'Wait for event',
    description:
      'Wait up to timeout_seconds (max 60) for an event (type glob, optional object_id). With object_id, an event already received counts.',
    toolset: 'events',
    annotations: LOCAL,
    input: {
      type: z.string().min(1).describe('e.g. payment_intent.succeeded, invoice.*'),
      object_id: z.string().optional(),
      timeout_seconds: z.number().int().min(1).max(60).optional().describe('Default 30'),
    },
    output: z.object({
      matched: z.boolean(),
      timed_out: z.boolean(),
      waited_seconds: z.number(),
      event: eventShape.nullable(),
      object: z.record(z.string(), z.unknown()).nullable(),
    }),
    async handler(args, ctx) {
      const timeout = (args.timeout_seconds ?? 30) * 1000;
      const started = Date.now();
      const found = await feed(ctx).waitFor(
        {
          type: args.type,
          objectId: args.object_id,
          includeExisting: args.object_id !== undefined,
          // By the clock that stamps events: another instance's (or host's) clock cannot hide one.
          receivedAfter: await feed(ctx).now(),
        },
        timeout,
        (elapsed) =>
          void ctx.progress(Math.round(elapsed / 1000), timeout / 1000, `waiting for ${args.type}`),
        ctx.signal,
      );
      const waited = Math.round((Date.now() - started) / 100) / 10;
      if (!found) {
        const noSource = feed(ctx).noSource;
        if (noSource) ctx.note(noSource);
        return { matched: false, timed_out: true, waited_seconds: waited, event: null, object: null };
      }
      const object = (found.payload.data as { object?: Record<string, unknown> } | undefined)?.object ?? null;
      return { matched: true, timed_out: false, waited_seconds: waited, event: event(found), object };
    },
  }),
  defineTool({
    name: 'get_object_state',
    title: 'Get object state',
    description:
      'The latest known state of a Stripe object from received events, and the events that led to it.',
    toolset: 'events',
    annotations: LOCAL,
    input: { id: z.string().describe('Any Stripe object id: pi_…, sub_…, in_…') },
    output: z.object({
      id: z.string(),
      found: z.boolean(),
      object_type: z.string().nullable(),
      as_of: z.number().int().nullable(),
      age_seconds: z.number().int().nullable(),
      state: z.record(z.string(), z.unknown()).nullable(),
      events: z.array(z.object({ id: z.string(), type: z.string(), created: z.number().int() })),
      note: z.string().nullable(),
    }),
    async handler({ id }, ctx) {
      const log = feed(ctx).log;
      const state = await log.objectState(id);
      const history = (await log.list({ objectId: id, limit: 20 })).events.map((e) => ({
        id: e.id,
        type: e.type,
        created: e.created,
      }));
      if (!state) {
        return {
          id,
          found: false,
          object_type: null,
          as_of: null,
          age_seconds: null,
          state: null,
          events: history,
          note: 'No event about this object has been received. Read it from the API instead (e.g. a retrieve_* tool).',
        };
      }
      return {
        id,
        found: true,
        object_type: state.objectType,
        as_of: state.created,
        age_seconds: Math.max(0, now() - state.created),
        state: state.state,
        events: history,
        note: null,
      };
    },
  }),
];
