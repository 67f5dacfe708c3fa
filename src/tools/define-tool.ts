import type Stripe from 'stripe';
import { z } from 'zod';
import type { Caller } from '../auth/caller.js';
import type { ToolDefaults } from '../config/options.js';
import { moneyFor, MONEY_RULES, type Money } from '../money/model.js';
import type { BillingView } from '../policy/paywall.js';
import type { StripeClient } from '../stripe/client.js';
import type { EventFeed } from '../webhooks/feed.js';

export type { Money } from '../money/model.js';
export { ToolInputError } from '../util/input-error.js';

/** Resource families: `--tools` and `--deny` patterns select by these (`customers.*`, `refunds.write`). */
export type Toolset =
  | 'account'
  | 'balance'
  | 'customers'
  | 'products'
  | 'prices'
  | 'coupons'
  | 'payment_links'
  | 'payment_intents'
  | 'payment_methods'
  | 'refunds'
  | 'subscriptions'
  | 'invoices'
  | 'disputes'
  | 'checkout'
  | 'billing_portal'
  | 'events'
  | 'api'
  /** Read-only answers worked out from Stripe's lists: revenue_summary, mrr, churn, failed_payments, top_customers. */
  | 'analytics'
  /** The paying user's own tools (billing_status, upgrade_plan, manage_billing), with --plans. */
  | 'plans';

export interface ToolAccess {
  /** Reads only, or changes something at Stripe. */
  write: boolean;
  /**
   * Moves money (creates, confirms or captures a charge, refunds one, or bills a customer).
   * Policy (amount caps, confirmation) keys off this; see docs/security.md.
   */
  moneyMoving: boolean;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolContext {
  stripe: StripeClient;
  /** Per-request options: the idempotency key of this call for writes. */
  request: Stripe.RequestOptions;
  /** Options for a further write in the same call, keyed `<call key>:<step>` so retries stay idempotent. */
  step(name: string): Stripe.RequestOptions;
  /** `sandbox` (the built-in sandbox), `test` or `live`, from the API key. */
  mode: 'sandbox' | 'test' | 'live';
  /** Who is calling (auth/caller.ts). */
  caller: Caller;
  /** Stripe's events as received by webhook or sync (absent when the server keeps no event log). */
  events?: EventFeed;
  /** Adds a sentence for the agent to the result's text (after the data). */
  note(text: string): void;
  /** Reports progress to the client while a call waits (no-op when the client did not ask). */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Cancelled by the client. */
  signal?: AbortSignal;
  /** The behaviour options (STRIPE_CURRENCY, STRIPE_AUTO_CAPTURE, …; config/options.ts) as configured. */
  defaults: ToolDefaults;
  /** `given`, else the configured default currency, else an input error naming `currency`. */
  currency(given: string | undefined): string;
  /** Plans and quotas (`--plans`), for the paying user's own tools. */
  billing?: BillingView;
}

export interface ToolDefinition<I extends z.ZodRawShape, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  /**
   * Whether it moves money. Default: whether one of its `endpoints` does, by the money model. Whether
   * it writes is derived from `annotations.readOnlyHint`.
   */
  access?: Pick<ToolAccess, 'moneyMoving'>;
  /**
   * Write tools: the Stripe endpoints (catalog ids, `payment_intents.create`) the handler calls. A test
   * holds them to the money model: a tool reaching a money-moving endpoint must say what it moves.
   */
  endpoints?: readonly string[];
  /**
   * The argument holding the id of the object the endpoint acts on (`payment_intent` for
   * `payment_intents.capture`); the other arguments are the endpoint's parameters.
   */
  idArg?: keyof I & string;
  annotations: ToolAnnotations;
  input: I;
  output: O;
  handler(args: z.output<z.ZodObject<I>>, ctx: ToolContext): Promise<z.input<O>>;
  /**
   * Money-moving tools: what this call would move, worked out before it runs (reading from Stripe
   * when the arguments alone do not say). `null` when this particular call moves nothing. Default, for
   * a tool with one money-moving endpoint: the money model's rule for that endpoint, given `idArg` as
   * the id and the other arguments as its parameters. A tool whose arguments are not the endpoint's
   * parameters as they are says so here.
   */
  money?: (args: z.output<z.ZodObject<I>>, ctx: ToolContext) => Promise<Money | null>;
  /**
   * For tools whose effect depends on the arguments (the generic write tool): whether this call moves
   * money or destroys something. Overrides `access.moneyMoving` and `destructiveHint` for policy.
   */
  effect?: (args: z.output<z.ZodObject<I>>) => Effect;
}

export interface Effect {
  moneyMoving: boolean;
  destructive: boolean;
}

/** A tool as the registry and runner hold it: the input is a strict zod object. */
export interface Tool {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  access: ToolAccess;
  endpoints?: readonly string[];
  annotations: ToolAnnotations;
  input: z.ZodObject;
  output: z.ZodObject;
  handler(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
  money?: (args: Record<string, unknown>, ctx: ToolContext) => Promise<Money | null>;
  effect?: (args: Record<string, unknown>) => Effect;
}

/**
 * An email address, validated as `z.email()` does, but listed as `format: email` only: the pattern
 * z.email() puts in the JSON Schema costs ~120 bytes of tools/list per field and tells a client
 * nothing the format does not.
 */
export const emailInput = z
  .string()
  .refine((v) => z.regexes.email.test(v), { message: 'Invalid email address' })
  .meta({ format: 'email' });

export const idempotencyKeyInput = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe('Only to repeat an identical write on purpose (a new key is a new request); retries need none.');

/**
 * Declares one tool. Inputs are strict (an unknown argument is an error, not silently dropped);
 * write tools also accept `idempotency_key`.
 */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodObject>(def: ToolDefinition<I, O>): Tool {
  // One flag, not two kept equal by a test: a tool writes exactly when it is not read-only.
  const write = !def.annotations.readOnlyHint;
  // The rule for what an endpoint moves lives in the money model; a named tool inherits it.
  const moneyEndpoints = (def.endpoints ?? []).filter((id) => id in MONEY_RULES);
  const moneyMoving = def.access?.moneyMoving ?? moneyEndpoints.length > 0;
  if (moneyMoving && !write) throw new Error(`${def.name}: a read-only tool cannot move money`);
  const shape = write ? { ...def.input, idempotency_key: idempotencyKeyInput } : def.input;
  const inherited = moneyEndpoints.length === 1 ? inheritedMoney(moneyEndpoints[0]!, def.idArg) : undefined;
  return {
    ...def,
    access: { write, moneyMoving },
    input: z.strictObject(shape),
    handler: (args, ctx) => def.handler(args as z.output<z.ZodObject<I>>, ctx),
    money: def.money ? (args, ctx) => def.money!(args as z.output<z.ZodObject<I>>, ctx) : inherited,
    effect: def.effect && ((args) => def.effect!(args as z.output<z.ZodObject<I>>)),
  };
}

/** The money model's rule for one endpoint, applied to a tool's arguments. */
function inheritedMoney(endpoint: string, idArg: string | undefined): Tool['money'] {
  return (args, ctx) => {
    const { idempotency_key: _key, ...params } = args;
    if (idArg === undefined) return moneyFor(endpoint, { params }, ctx);
    const { [idArg]: id, ...rest } = params;
    return moneyFor(endpoint, { params: rest, id: id as string }, ctx);
  };
}

/** Annotation presets: every tool still states all four hints explicitly through one of these. */
export const READ: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};
export const CREATE: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};
export const UPDATE: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};
export const DESTRUCTIVE: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
};
