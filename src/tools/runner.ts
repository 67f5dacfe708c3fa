import { createHash, randomUUID } from 'node:crypto';
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { localCaller, scopeFor, type Caller } from '../auth/caller.js';
import type { ToolDefaults } from '../config/options.js';
import type { Logger } from '../log.js';
import { type AmountLimit } from '../policy/amounts.js';
import { amountKnownGate, perCallCapGate } from '../policy/caps.js';
import {
  confirmationDeclined,
  confirmationReason,
  confirmationUnavailable,
  summarizeCall,
  type ConfirmPolicy,
} from '../policy/confirm.js';
import { dailyLimitGate, isRefusal, ledgerScope, type DailyLimit } from '../policy/daily-limit.js';
import { moneyPermissionGate } from '../policy/money-permission.js';
import { isPaidCall, type BillingView, type PaidCall, type Paywall } from '../policy/paywall.js';
import { cardDataGate, maskCardData } from '../policy/pci.js';
import { maskForAudit, redactPii } from '../policy/redact.js';
import { META_KEY, refusal, type FailureCode, type Refusal, type RefusalCode } from '../policy/refusal.js';
import { scopeGate } from '../policy/scope.js';
import type { AuditLog, AuditRecord } from '../storage/ports.js';
import {
  isStripeError,
  mayHaveWritten,
  newCallRecord,
  onlyReplayed,
  recordStripeCalls,
  type LazyStripeClient,
  type StripeCallRecord,
} from '../stripe/client.js';
import { describeStripeError, formatStripeFailure } from '../stripe/errors.js';
import { callIdentity, canonicalize, canonicalJson } from '../stripe/idempotency.js';
import type { EventFeed } from '../webhooks/feed.js';
import { fitToBudget } from './budget.js';
import { ToolInputError, type Tool, type ToolContext } from './define-tool.js';

export interface MoneyPolicy extends ConfirmPolicy {
  maxAmount?: AmountLimit;
  /** The rolling 24-hour limit and the ledger that counts it: one cannot be configured without the other. */
  dailyLimit?: DailyLimit;
  /** Customer PII to mask in results. */
  redact: readonly string[];
}

export interface RunnerDeps {
  /** Made on the first call that needs it: start-up does not load the SDK. */
  stripe: LazyStripeClient;
  logger: Logger;
  /** The behaviour options (config/options.ts), handed to each tool as `ctx.defaults`. */
  defaults: ToolDefaults;
  /**
   * The most one tool call may take, retries included (STRIPE_CALL_TIMEOUT): below the 60 s most MCP
   * clients wait, so the agent gets an answer it can act on instead of its client's own timeout.
   */
  callTimeoutMs?: number;
  stripeAccount: string | undefined;
  /** The tenant these deps serve (config `tenants`): its own daily limit and audit trail. */
  tenant?: string;
  mode: ToolContext['mode'];
  policy: MoneyPolicy;
  audit?: AuditLog;
  events?: EventFeed;
  now?: () => number;
  /**
   * Whether the permission policy allows a tool with this access (for tools whose access depends on
   * the arguments, such as the generic write tool reaching a money-moving endpoint).
   */
  permits?: (tool: {
    name: string;
    toolset: string;
    access: { write: boolean; moneyMoving: boolean };
  }) => boolean;
  /** Plans and quotas (`--plans`): asked after validation and the scope check, before anything else runs. */
  paywall?: Paywall;
  /** The same plans, as the paying user's own tools read them. */
  billing?: BillingView;
  /** Told how each call ended (the `/metrics` counters). */
  observer?: CallObserver;
}

/** How one call ended, for metrics: never its arguments. */
export interface CallObservation {
  tool: string;
  outcome: AuditRecord['outcome'];
  durationMs: number;
  /** The refusal code, when the runner refused it. */
  refusal?: string;
  /** Stripe's error type, when Stripe answered with an error. */
  stripeError?: string;
}

export interface CallObserver {
  call(c: CallObservation): void;
}

/** What execute learns on the way that is not in the audit record. */
interface CallFacts {
  /** The paid call the paywall admitted: settled when the call ends. */
  paid?: PaidCall;
  stripeError?: string;
}

/** What a human said about one call. */
export type ConfirmOutcome =
  | { kind: 'approved'; by: string }
  | { kind: 'declined'; by: string }
  /** Not decided yet: return this to the client (an approval URL, or an elicitation round). */
  | { kind: 'pending'; result: CallToolResult | InputRequiredResult }
  /** No channel to a human (`why`: what the operator's configuration rules out). */
  | { kind: 'unavailable'; why?: string };

export interface ConfirmRequest {
  tool: string;
  /** Hash of the tool and its exact canonical arguments: an approval is good for this call only. */
  binding: string;
  summary: string;
  reason: string;
  /** What the call moves, when it moves money. */
  money?: { amount: number; currency: string; customer?: string | null; unknownAmount?: boolean };
}

/** Per-call context from the transport: who is calling and how to reach a human. */
export interface CallContext {
  caller: Caller;
  confirm?: (req: ConfirmRequest) => Promise<ConfirmOutcome>;
  progress?: ToolContext['progress'];
  signal?: AbortSignal;
  /** Refused before it reaches the tool (an argument the transport adds, such as a tenant's `account`). */
  refused?: Refusal;
}

/**
 * Every tool call passes here:
 * card-data guard → validation → money (caps, confirmation, daily limit) → idempotency → Stripe → shape;
 * every exit is audited, and every failure is an `isError` result that says what to change.
 */
export async function runTool(
  tool: Tool,
  rawArgs: unknown,
  deps: RunnerDeps,
  call: CallContext = { caller: localCaller('local') },
): Promise<CallToolResult | InputRequiredResult> {
  const started = Date.now();
  const audit: AuditRecord = {
    at: new Date(started).toISOString(),
    caller: call.caller.id,
    ...(deps.tenant ? { tenant: deps.tenant } : {}),
    tool: tool.name,
    args: maskForAudit(rawArgs ?? {}),
    decision: 'allowed',
    outcome: 'ok',
    requestIds: [],
    durationMs: 0,
  };
  const facts: CallFacts = {};
  let threw = false;
  try {
    const result = await execute(tool, rawArgs ?? {}, deps, call, audit, facts);
    if ('isError' in result && result.isError && audit.outcome === 'ok') audit.outcome = 'error';
    return result;
  } catch (err) {
    threw = true;
    throw err;
  } finally {
    audit.durationMs = Date.now() - started;
    if (facts.paid) {
      // Counted when it ran (ok or error); given back when it was refused later or is still waiting.
      const outcome =
        threw || audit.outcome === 'error' ? 'error' : audit.outcome === 'ok' ? 'ok' : 'not_run';
      await facts.paid.settle(outcome).catch((error: unknown) => {
        deps.logger.error('billing: settling a paid call failed', { tool: tool.name, error });
      });
    }
    // One line per call at debug level: what ran and how it ended, never its arguments (PII).
    deps.logger.debug('tool call', {
      tool: tool.name,
      caller: call.caller.id,
      decision: audit.decision,
      outcome: audit.outcome,
      ...(audit.error ? { error: audit.error } : {}),
      duration_ms: audit.durationMs,
      request_ids: audit.requestIds,
    });
    deps.observer?.call({
      tool: tool.name,
      outcome: audit.outcome,
      durationMs: audit.durationMs,
      ...(audit.outcome === 'refused' && audit.error ? { refusal: audit.error } : {}),
      ...(facts.stripeError ? { stripeError: facts.stripeError } : {}),
    });
    if (deps.audit) await appendAudit(deps.audit, audit, deps.logger);
  }
}

/** Waits before each further try to store an audit record the store refused (locked, full). */
const AUDIT_RETRY_MS = [250, 2_000, 10_000, 60_000];

/**
 * An audit record is stored, or retried later: a store that throws (even synchronously, as SQLite
 * does when locked) never turns a call's result into an error, least of all after Stripe did the write.
 */
async function appendAudit(log: AuditLog, record: AuditRecord, logger: Logger, attempt = 0): Promise<void> {
  try {
    await log.append(record);
    if (attempt > 0) logger.info('audit record stored after a retry', { tool: record.tool, attempt });
  } catch (error) {
    const wait = AUDIT_RETRY_MS[attempt];
    logger.error(
      wait === undefined ? 'audit append failed; record dropped' : 'audit append failed; will retry',
      {
        tool: record.tool,
        attempt,
        error,
      },
    );
    if (wait !== undefined)
      setTimeout(() => void appendAudit(log, record, logger, attempt + 1), wait).unref();
  }
}

async function execute(
  tool: Tool,
  args: unknown,
  deps: RunnerDeps,
  call: CallContext,
  audit: AuditRecord,
  facts: CallFacts,
): Promise<CallToolResult | InputRequiredResult> {
  const refuse = (r: Refusal) => {
    audit.decision = r.decision;
    audit.outcome = 'refused';
    audit.reason = r.message;
    audit.error = r.code;
    return refusalResult(r);
  };

  // The gates, in order: card data (before anything else reads the arguments, so no message can echo
  // it) → validation → scope → paywall and quota → money permission → amount known → per-call cap →
  // confirmation → daily limit.
  const card = cardDataGate(args);
  if (card) {
    deps.logger.warn('refused card data', { tool: tool.name, path: card.details.param });
    return refuse(card);
  }

  if (call.refused) return refuse(call.refused);
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) return refuse(refusal('invalid_arguments', describeInputError(tool, parsed.error)));
  // Canonical key order: the same logical call sends byte-identical parameters under the same key.
  const all = canonicalize(parsed.data);
  const { idempotency_key: suppliedKey, ...input } = all;

  // A key the caller gives is always sent. Otherwise (unless idempotency is turned off) each write is
  // keyed by the request Stripe receives (stripe/client.ts), and the call by its tool and arguments
  // for the daily-limit ledger, so a repeated call counts once.
  const given = tool.access.write ? (suppliedKey as string | undefined) : undefined;
  const callKey =
    given ??
    (tool.access.write && deps.defaults.idempotencyEnabled
      ? callIdentity(tool.name, input, deps.stripeAccount)
      : undefined);
  const record = newCallRecord(tool.access.write && deps.defaults.idempotencyEnabled && !given);
  const notes: string[] = [];
  const ctx: ToolContext = {
    note: (text) => void notes.push(text),
    stripe: await deps.stripe(),
    request: given ? { idempotencyKey: given } : {},
    step: (name) => (given ? { idempotencyKey: `${given}:${name}` } : {}),
    mode: deps.mode,
    caller: call.caller,
    events: deps.events,
    defaults: deps.defaults,
    progress: call.progress ?? (() => Promise.resolve()),
    signal: call.signal,
    ...(deps.billing ? { billing: deps.billing } : {}),
    currency(given) {
      const c = given ?? deps.defaults.currency;
      if (!c) {
        throw new ToolInputError(
          'currency',
          'currency is required: pass a three-letter code such as "usd" (or set STRIPE_CURRENCY on the server).',
        );
      }
      return c.toLowerCase();
    },
  };

  let outcome: UnknownOutcome = 'known';
  try {
    // Money: what this call moves, then the gates that read it.
    const effect = tool.effect?.(input);
    const moving = effect?.moneyMoving ?? tool.access.moneyMoving;
    const unscoped = scopeGate(call.caller, scopeFor({ write: tool.access.write, moneyMoving: moving }));
    if (unscoped) return refuse(unscoped);
    // The paywall: the plan this tool is sold on, and a quota unit taken (settled when the call ends).
    const admitted = await deps.paywall?.admit(tool.name, call.caller, randomUUID());
    if (admitted && !isPaidCall(admitted)) return refuse(admitted);
    if (admitted) facts.paid = admitted;
    const denied = moneyPermissionGate(tool, effect?.moneyMoving === true, deps.permits);
    if (denied) return refuse(denied);
    const money = moving && tool.money ? await tool.money(input, ctx) : null;
    const caps = { maxAmount: deps.policy.maxAmount, dailyLimit: deps.policy.dailyLimit?.limit };
    const capped = amountKnownGate(money, caps) ?? perCallCapGate(money, caps);
    if (capped) return refuse(capped);

    const reason = confirmationReason(
      {
        access: { write: tool.access.write, moneyMoving: moving },
        annotations: { destructiveHint: effect?.destructive ?? tool.annotations.destructiveHint },
      },
      money,
      deps.policy,
    );
    if (reason) {
      const binding = createHash('sha256')
        .update(`${tool.name}\n${canonicalJson(all)}`)
        .digest('hex');
      const summary = summarizeCall(tool, input, money);
      const outcome = call.confirm
        ? await call.confirm({ tool: tool.name, binding, summary, reason, ...(money ? { money } : {}) })
        : { kind: 'unavailable' as const };
      if (outcome.kind === 'pending') {
        audit.decision = 'approval_pending';
        audit.outcome = 'pending';
        return outcome.result;
      }
      if (outcome.kind === 'declined') {
        audit.confirmedBy = outcome.by;
        return refuse(confirmationDeclined(outcome.by));
      }
      if (outcome.kind === 'unavailable') return refuse(confirmationUnavailable(reason, outcome.why));
      audit.decision = 'confirmed';
      audit.confirmedBy = outcome.by;
    }

    const limited = await dailyLimitGate({
      money,
      dailyLimit: deps.policy.dailyLimit,
      // A caller's own Stripe key (--auth=stripe-key) counts against its own account.
      scope: ledgerScope(deps.mode, deps.stripeAccount ?? call.caller.stripe?.account, deps.tenant),
      tool: tool.name,
      key: callKey,
      now: (deps.now ?? Date.now)(),
    });
    if (isRefusal(limited)) return refuse(limited);
    const reservation = limited ?? undefined;

    // Call Stripe through the handler, recording request ids, write outcomes and replays.
    let value: unknown;
    try {
      value = await withDeadline(
        recordStripeCalls(record, () => tool.handler(input, ctx)),
        deps.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      );
    } catch (err) {
      audit.requestIds = record.requestIds;
      // A write with no definite answer (a 5xx, a dropped connection) may have been done at Stripe.
      if (record.writes.includes('unknown')) outcome = reservation ? 'counted' : 'unknown';
      if (reservation) {
        // A call cut off by the deadline may still be on its way to Stripe: it keeps counting too.
        if (mayHaveWritten(record) || err instanceof CallTimeout)
          await reservation.ledger.settle(reservation.id, { state: 'unknown' });
        else if (reservation.fresh) await reservation.ledger.release(reservation.id);
      }
      throw err;
    }
    const replayed = record.replayed;
    audit.requestIds = record.requestIds;
    const idempotencyKey = record.keys[0] ?? given;
    if (idempotencyKey) audit.idempotencyKey = idempotencyKey;
    if (reservation) {
      try {
        // A replay moved nothing now: what it replays was counted when it ran (or before this window).
        if (onlyReplayed(record) && reservation.fresh) await reservation.ledger.release(reservation.id);
        else
          await reservation.ledger.settle(reservation.id, {
            state: 'settled',
            objectId: money!.objectId ?? idOfResult(value),
          });
      } catch (error) {
        // The write happened: say so. The reservation stays as it was, so it keeps counting (the safe side).
        deps.logger.error('ledger settle failed after a completed call', { tool: tool.name, error });
      }
    }

    // Shape the output to the declared schema. What Stripe left out is null; what still does not
    // fit is returned as known (a call that happened is never reported as a failure).
    const shaped = shapeOutput(tool, value);
    if (shaped.mismatch)
      deps.logger.warn('tool output did not match its schema', { tool: tool.name, issues: shaped.mismatch });
    // Stripe's data can carry card numbers too (a webhook payload, a description): never hand them on.
    const structured = withinBudget(
      maskCardData(redactPii(shaped.data, deps.policy.redact), '', { keepExpiry: true }) as Record<
        string,
        unknown
      >,
    );
    const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(structured.value) }];
    if (structured.note) content.push({ type: 'text', text: structured.note });
    for (const text of notes) content.push({ type: 'text', text });
    if (shaped.mismatch) {
      content.push({
        type: 'text',
        text: `${tool.access.write ? 'The call was done at Stripe. ' : ''}Some fields of the result were missing or not of the expected type (${shaped.mismatch}); it is returned as Stripe gave it.`,
      });
    }
    if (replayed) {
      content.push({
        type: 'text',
        text: `Stripe replayed the stored result of an identical earlier call (idempotency key ${idempotencyKey}); nothing new was created or charged. To perform the same operation again on purpose, pass a new idempotency_key.`,
      });
    }
    const meta = {
      ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
      replayed,
      request_ids: audit.requestIds,
    };
    return { content, structuredContent: structured.value, _meta: { [META_KEY]: meta } };
  } catch (err) {
    return mapError(err, tool, deps.logger, audit, record, outcome, facts);
  }
}

/** The handler's value in the tool's output shape, filling what Stripe left out with null where the shape allows it. */
function shapeOutput(tool: Tool, value: unknown): { data: Record<string, unknown>; mismatch?: string } {
  let current = value;
  for (let round = 0; round < 4; round++) {
    const parsed = tool.output.safeParse(current);
    if (parsed.success) return { data: parsed.data };
    const missing = parsed.error.issues.filter(
      (i) => i.code === 'invalid_type' && i.path.length > 0 && valueAt(current, i.path) === undefined,
    );
    const next = structuredClone(current) as Record<string, unknown>;
    let filled = 0;
    for (const issue of missing) {
      const nullable = tool.output.safeParse(setAt(structuredClone(next), issue.path, null));
      const stillThere = !nullable.success && nullable.error.issues.some((j) => samePath(j.path, issue.path));
      if (!stillThere) {
        setAt(next, issue.path, null);
        filled++;
      }
    }
    if (filled === 0) {
      const paths = parsed.error.issues.map((i) => i.path.map(String).join('.') || '(result)');
      const data =
        current && typeof current === 'object' && !Array.isArray(current)
          ? (current as Record<string, unknown>)
          : { result: current };
      return { data, mismatch: [...new Set(paths)].slice(0, 10).join(', ') };
    }
    current = next;
  }
  return { data: current as Record<string, unknown>, mismatch: '(result)' };
}

const samePath = (a: readonly PropertyKey[], b: readonly PropertyKey[]) =>
  a.length === b.length && a.every((k, i) => k === b[i]);

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let cur = v;
  for (const k of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function setAt<T>(root: T, path: readonly PropertyKey[], value: unknown): T {
  let cur = root as Record<PropertyKey, unknown>;
  for (const k of path.slice(0, -1)) {
    if (!cur[k] || typeof cur[k] !== 'object') return root;
    cur = cur[k] as Record<PropertyKey, unknown>;
  }
  cur[path.at(-1)!] = value;
  return root;
}

/**
 * No result exceeds the output budget (~25,000 tokens). A list page (`data`, `has_more`,
 * `next_starting_after`) is cut to what fits and still pages correctly; the note says how to go on.
 */
function withinBudget(value: Record<string, unknown>): { value: Record<string, unknown>; note?: string } {
  if (!Array.isArray(value.data) || !('next_starting_after' in value)) return { value };
  const fitted = fitToBudget(value);
  if (!fitted.truncated) return { value };
  const data = fitted.result.data as { id?: string }[];
  return {
    value: { ...value, data, has_more: true, next_starting_after: data.at(-1)?.id ?? null },
    note: `${fitted.note ?? ''} The cursor next_starting_after continues after the last item returned.`.trim(),
  };
}

/** The id of the object a call returned (a new payment intent, charge, subscription): what its money moved through. */
function idOfResult(value: unknown): string | undefined {
  return value && typeof value === 'object' && 'id' in value && typeof value.id === 'string'
    ? value.id
    : undefined;
}

/** A refusal as the agent reads it: the message, and its code and facts in structuredContent and `_meta`. */
export const refusalResult = (r: Refusal): CallToolResult =>
  failure(r.message, { error: r.code, ...r.details });

function failure(
  text: string,
  details: { error: RefusalCode | FailureCode } & Record<string, unknown>,
): CallToolResult {
  // The facts in both places agents and clients read them (clients skip output schemas for errors).
  return {
    isError: true,
    content: [{ type: 'text', text }],
    structuredContent: details,
    _meta: { [META_KEY]: details },
  };
}

function describeInputError(tool: Tool, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(tool.input.shape).join(', ');
      return `unknown argument${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (this tool takes: ${known})`;
    }
    const at = issue.path.length ? issue.path.map(String).join('.') : '(arguments)';
    return `"${at}": ${issue.message}`;
  });
  return `Invalid arguments for ${tool.name}: ${lines.join('; ')}. Nothing was sent to Stripe.`;
}

export const DEFAULT_CALL_TIMEOUT_MS = 50_000;

class CallTimeout extends Error {
  constructor(readonly ms: number) {
    super(`the call did not finish within ${ms} ms`);
  }
}

/** `work`, or a CallTimeout after `ms` (the work goes on; a late failure is not left unhandled). */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeout(ms)), ms);
    timer.unref();
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** After a failure: whether a write may have been done at Stripe, and whether the daily limit counts it. */
type UnknownOutcome = 'known' | 'unknown' | 'counted';

const UNKNOWN_OUTCOME: Record<Exclude<UnknownOutcome, 'known'>, string> = {
  unknown:
    'Stripe may have completed this call (no definite answer came back). Retrying the same call is safe: it sends the same idempotency key, so Stripe does it at most once and a retry returns its result.',
  counted:
    'Stripe may have completed this call (no definite answer came back), so its amount stays counted against the daily limit until a retry settles it. Retrying the same call is safe: it sends the same idempotency key, so Stripe does it at most once.',
};

function mapError(
  err: unknown,
  tool: Tool,
  logger: Logger,
  audit: AuditRecord,
  record: StripeCallRecord,
  outcome: UnknownOutcome,
  facts: CallFacts,
): CallToolResult {
  const idempotencyKey = record.keys[0];
  if (err instanceof CallTimeout) {
    audit.error = 'call_timeout';
    const writes = tool.access.write;
    return failure(
      `Stripe did not answer within ${Math.round(err.ms / 1000)} s (this server's limit for one call, retries included).${
        writes
          ? ' The outcome is not known: the write may still complete at Stripe. Retrying the same call is safe: it sends the same idempotency key, so Stripe does it at most once and a retry returns its result.'
          : ' Nothing was changed. Retry in a little while.'
      }`,
      {
        error: 'call_timeout',
        ...(writes ? { outcome: 'unknown' } : {}),
        ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
      },
    );
  }
  audit.outcome = 'error';
  if (err instanceof ToolInputError) {
    audit.error = 'invalid_arguments';
    return failure(
      `Invalid arguments for ${tool.name}: "${err.param}": ${err.message} Nothing was sent to Stripe.`,
      {
        error: 'invalid_arguments',
        param: err.param,
      },
    );
  }
  if (isStripeError(err)) {
    const f = describeStripeError(err);
    audit.error = `${f.type}${f.code ? `:${f.code}` : ''}`;
    facts.stripeError = f.type;
    if (f.request_id && !audit.requestIds.includes(f.request_id)) audit.requestIds.push(f.request_id);
    logger.info('stripe error', { tool: tool.name, type: f.type, code: f.code, request_id: f.request_id });
    return {
      isError: true,
      content: [
        { type: 'text', text: formatStripeFailure(f) },
        ...(outcome !== 'known' ? [{ type: 'text' as const, text: UNKNOWN_OUTCOME[outcome] }] : []),
      ],
      _meta: {
        [META_KEY]: {
          ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
          ...(outcome !== 'known' ? { outcome: 'unknown' } : {}),
          stripe_error: f,
        },
      },
    };
  }
  const ref = randomUUID().slice(0, 8);
  audit.error = `internal (ref ${ref})`;
  logger.error('internal error in tool call', { tool: tool.name, ref, error: err });
  return failure(
    `internal error (ref ${ref}). Nothing more is known to the agent; the server log has the details under this reference.`,
    {
      error: 'internal',
      ref,
    },
  );
}
