import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { cardDataRefusal, findCardData } from '../policy/pci.js';
import { isStripeError, recordStripeCalls, type StripeClient } from '../stripe/client.js';
import { describeStripeError, formatStripeFailure } from '../stripe/errors.js';
import { canonicalize, deriveIdempotencyKey } from '../stripe/idempotency.js';
import { ToolInputError, type Tool, type ToolContext } from './define-tool.js';

export interface RunnerDeps {
  stripe: StripeClient;
  logger: Logger;
  idempotencyEnabled: boolean;
  defaultCurrency: string | undefined;
  stripeAccount: string | undefined;
  mode: ToolContext['mode'];
}

/** What the runner adds to every result's `_meta`, for clients and logs (never secrets). */
export interface CallMeta {
  idempotency_key?: string;
  replayed?: boolean;
  request_ids?: string[];
}

const META_KEY = 'mcp-stripe';

/**
 * Every tool call passes here: card-data guard → input validation → idempotency key → handler
 * (Stripe) → output shaping; every failure becomes an `isError` result that says what to change.
 */
export async function runTool(tool: Tool, rawArgs: unknown, deps: RunnerDeps): Promise<CallToolResult> {
  const started = performance.now();
  const args = rawArgs ?? {};

  // 1. Card data is refused before anything else looks at it (so no error message can echo it).
  const card = findCardData(args);
  if (card) {
    deps.logger.warn('refused card data', { tool: tool.name, path: card.path });
    return failure(cardDataRefusal(card), { error: 'card_data_refused', param: card.path });
  }

  // 2. Input validation, naming each bad field.
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) return failure(describeInputError(tool, parsed.error), { error: 'invalid_arguments' });
  // Canonical key order: the same logical call sends byte-identical parameters under the same key.
  const { idempotency_key: suppliedKey, ...input } = canonicalize(parsed.data);

  // 3. Idempotency: the same logical call always carries the same key.
  const idempotencyKey =
    tool.access.write && deps.idempotencyEnabled
      ? ((suppliedKey as string | undefined) ?? deriveIdempotencyKey(tool.name, input, deps.stripeAccount))
      : undefined;

  const ctx: ToolContext = {
    stripe: deps.stripe,
    request: idempotencyKey ? { idempotencyKey } : {},
    step: (name) => (idempotencyKey ? { idempotencyKey: `${idempotencyKey}:${name}` } : {}),
    mode: deps.mode,
    currency(given) {
      const c = given ?? deps.defaultCurrency;
      if (!c)
        throw new ToolInputError(
          'currency',
          'currency is required: pass a three-letter code such as "usd" (or set STRIPE_CURRENCY on the server).',
        );
      return c.toLowerCase();
    },
  };

  // 4. Call Stripe through the handler, recording request ids and replays.
  let value: unknown;
  let meta: CallMeta = idempotencyKey ? { idempotency_key: idempotencyKey } : {};
  try {
    const run = await recordStripeCalls(() => tool.handler(input, ctx));
    value = run.value;
    meta = { ...meta, replayed: run.record.replayed, request_ids: run.record.requestIds };
  } catch (err) {
    return mapError(err, tool, deps.logger, meta, started);
  }

  // 5. Shape the output to the declared schema.
  const shaped = tool.output.safeParse(value);
  if (!shaped.success)
    return internalError(
      tool,
      deps.logger,
      new Error(`output did not match schema: ${z.prettifyError(shaped.error)}`),
    );
  const structured = shaped.data;
  const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(structured) }];
  if (meta.replayed) {
    content.push({
      type: 'text',
      text: `Stripe replayed the stored result of an identical earlier call (idempotency key ${idempotencyKey}); nothing new was created or charged. To perform the same operation again on purpose, pass a new idempotency_key.`,
    });
  }
  deps.logger.debug('tool call', { tool: tool.name, ms: Math.round(performance.now() - started), ...meta });
  return { content, structuredContent: structured, _meta: { [META_KEY]: meta } };
}

function failure(text: string, details: Record<string, unknown>): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }], _meta: { [META_KEY]: details } };
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

function mapError(err: unknown, tool: Tool, logger: Logger, meta: CallMeta, started: number): CallToolResult {
  if (err instanceof ToolInputError) {
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
    logger.info('stripe error', {
      tool: tool.name,
      type: f.type,
      code: f.code,
      request_id: f.request_id,
      ms: Math.round(performance.now() - started),
    });
    return {
      isError: true,
      content: [{ type: 'text', text: formatStripeFailure(f) }],
      _meta: { [META_KEY]: { ...meta, stripe_error: f } },
    };
  }
  return internalError(tool, logger, err);
}

function internalError(tool: Tool, logger: Logger, err: unknown): CallToolResult {
  const ref = randomUUID().slice(0, 8);
  logger.error('internal error in tool call', { tool: tool.name, ref, error: err });
  return failure(
    `internal error (ref ${ref}). Nothing more is known to the agent; the server log has the details under this reference.`,
    {
      error: 'internal',
      ref,
    },
  );
}
