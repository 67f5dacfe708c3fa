// A paid tool call outside mcp-stripe's own runner (the gateway, the library): the paywall's answer
// first, the tool only when admitted, its units settled by how the call ended; and the paying user's
// billing tools, from the same declarations mcp-stripe's own server lists.
import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Caller } from '../auth/caller.js';
import type { Logger } from '../log.js';
import { isPaidCall } from '../policy/paywall.js';
import type { Refusal } from '../policy/refusal.js';
import { ToolInputError, type ToolContext } from '../tools/define-tool.js';
import { refusalResult } from '../tools/runner.js';
import { planTools } from '../tools/toolsets/plans.js';
import type { BillingEngine } from './engine.js';

/**
 * Runs `run` if the paywall admits `caller` to `tool`. A refused call never runs; an admitted one is
 * counted when it succeeds (and metered on an overage plan), given back when it fails (unless the plans
 * say otherwise). A `run` that throws is settled as failed, and the error goes on.
 */
export async function runPaid(
  billing: BillingEngine,
  tool: string,
  caller: Caller,
  logger: Logger,
  run: () => Promise<CallToolResult>,
  onRefused?: (refusal: Refusal) => void,
): Promise<CallToolResult> {
  const admitted = await billing.admit(tool, caller, randomUUID());
  if (admitted && !isPaidCall(admitted)) {
    onRefused?.(admitted);
    return refusalResult(admitted);
  }
  let outcome: 'ok' | 'error' = 'error';
  try {
    const result = await run();
    outcome = result.isError ? 'error' : 'ok';
    return result;
  } finally {
    await admitted
      ?.settle(outcome)
      .catch((error: unknown) => logger.error('billing: settling a paid call failed', { tool, error }));
  }
}

/** One of the billing tools (billing_status, upgrade_plan, manage_billing), as a tool result. */
export async function runBillingTool(
  billing: BillingEngine,
  caller: Caller,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  const tool = planTools.find((t) => t.name === name);
  if (!tool) return errorResult(`There is no billing tool ${name}.`);
  const input = tool.input.safeParse(args);
  if (!input.success) return errorResult(`${name}: ${input.error.issues.map((i) => i.message).join('; ')}`);
  try {
    // These handlers read only who calls and the billing view.
    const ctx = { caller, billing } as unknown as ToolContext;
    const data = (await tool.handler(input.data, ctx)) as Record<string, unknown>;
    return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
  } catch (err) {
    if (err instanceof ToolInputError) return errorResult(err.message);
    throw err;
  }
}

export const errorResult = (text: string): CallToolResult => ({
  isError: true,
  content: [{ type: 'text', text }],
});
