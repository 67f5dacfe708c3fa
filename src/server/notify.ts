import type { Logger } from '../log.js';
import { formatMoney } from '../money/currencies.js';
import type { ApprovalRecord } from '../storage/ports.js';

/**
 * The --notify-url notice: a JSON POST when a call starts waiting for approval. `text` is what
 * Slack-compatible incoming webhooks show; the rest is for anything else. It names the call, never a
 * link or token that decides it. Failures are logged, never felt by the call.
 */
export function notifier(url: string, logger: Logger, consoleUrl?: () => Promise<string | undefined>) {
  return (a: ApprovalRecord): void => {
    void (async () => {
      const where = (await consoleUrl?.()) ?? 'the mcp-stripe console';
      const amount = a.amount !== null && a.currency ? ` for ${formatMoney(a.amount, a.currency)}` : '';
      const body = {
        text: `mcp-stripe: ${a.tool}${amount} is waiting for approval in ${where} (until ${new Date(a.expiresAt).toISOString()}). ${a.reason}.`,
        approval: {
          tool: a.tool,
          amount: a.amount,
          currency: a.currency,
          customer: a.customer,
          caller: a.caller,
          summary: a.summary,
          reason: a.reason,
          created_at: new Date(a.createdAt).toISOString(),
          expires_at: new Date(a.expiresAt).toISOString(),
        },
      };
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      await res.body?.cancel();
      if (!res.ok) logger.warn('approval notice refused', { status: res.status });
    })().catch((error: unknown) =>
      logger.warn('approval notice failed', {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  };
}
