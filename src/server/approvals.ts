import { EventEmitter } from 'node:events';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Logger } from '../log.js';
import { formatMoney } from '../money/currencies.js';
import { META_KEY, type RefusalCode } from '../policy/refusal.js';
import type { ApprovalRecord, ApprovalStore } from '../storage/ports.js';
import type { ConfirmOutcome, ConfirmRequest } from '../tools/runner.js';

export type { ApprovalRecord };

/** Where a running console says it can be reached (a store setting: another process reads it). */
export const CONSOLE_URL_KEY = 'console.url';

/** Who decides in the console: named in results, so the agent can tell its user where to look. */
export const CONSOLE_DECIDER = 'an operator signed in to the mcp-stripe console';

export interface ApprovalOptions {
  store: ApprovalStore;
  /** How long a pending approval stays valid. */
  ttlMs: number;
  /** How long a call waits for the decision before answering "still waiting" (0: answer at once). */
  waitMs: number;
  /** How often a waiting call looks at the store (a console in another process decides there). */
  pollMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Told when a new approval starts waiting (the --notify-url webhook). */
  onPending?: (a: ApprovalRecord) => void;
}

/** The call asking: who, over which transport, and how to tell it that it is still waiting. */
export interface ConsoleCall {
  caller: string;
  channel: string;
  signal?: AbortSignal;
  progress?: (message: string) => Promise<void>;
}

export type DecideResult =
  | { ok: true; approval: ApprovalRecord }
  | { ok: false; status: number; error: string; approval?: ApprovalRecord };

/**
 * Approvals decided by an operator in the console, never by the caller: a call that needs one waits
 * (a while) for the decision, and otherwise answers that it is waiting, for whom, until when. No result
 * carries a link or token that decides it. Approvals live in the store, so a console in another
 * process decides them and a restart loses none; each is bound to the exact call and used once.
 */
export class ApprovalService {
  /** `change` (ApprovalRecord) on every new or decided approval, for live pages. */
  readonly changes = new EventEmitter();

  constructor(private readonly opts: ApprovalOptions) {
    this.changes.setMaxListeners(0);
  }

  now(): number {
    return (this.opts.now ?? Date.now)();
  }

  get(id: string): Promise<ApprovalRecord | undefined> {
    return this.opts.store.get(id, this.now());
  }

  list(status: 'pending' | 'decided', limit = 100): Promise<ApprovalRecord[]> {
    return this.opts.store.list({ status, limit, now: this.now() });
  }

  /** An operator's decision. The caller of the call can never decide it. */
  async decide(
    id: string,
    decision: 'approved' | 'denied',
    by: string,
    note?: string,
  ): Promise<DecideResult> {
    const current = await this.get(id);
    if (!current) return { ok: false, status: 404, error: 'No such approval.' };
    if (current.caller === by)
      return { ok: false, status: 403, error: 'The caller of a call cannot decide it.', approval: current };
    if (current.status !== 'pending')
      return { ok: false, status: 409, error: `This approval is ${current.status}.`, approval: current };
    const decided = await this.opts.store.decide(id, { decision, by, note, now: this.now() });
    if (!decided || decided.status !== decision)
      return {
        ok: false,
        status: 409,
        error: `This approval is ${decided?.status ?? 'gone'}.`,
        approval: decided,
      };
    this.changes.emit('change', decided);
    return { ok: true, approval: decided };
  }

  /** The live approval for this call (created pending if none, and announced), without waiting. */
  async open(req: ConfirmRequest, call: ConsoleCall): Promise<ApprovalRecord> {
    const opened = await this.opts.store.open({
      binding: req.binding,
      tool: req.tool,
      caller: call.caller,
      channel: call.channel,
      summary: req.summary,
      reason: req.reason,
      amount: req.money && !req.money.unknownAmount ? req.money.amount : null,
      currency: req.money?.currency ?? null,
      customer: req.money?.customer ?? null,
      ttlMs: this.opts.ttlMs,
      now: this.now(),
    });
    if (opened.created) {
      this.changes.emit('change', opened.approval);
      this.opts.onPending?.(opened.approval);
    }
    return opened.approval;
  }

  /** The runner's confirmation step for one call through the console. */
  async confirm(req: ConfirmRequest, call: ConsoleCall, wait = true): Promise<ConfirmOutcome> {
    const approval = await this.open(req, call);
    const decided =
      approval.status === 'pending' && wait ? await this.waitForDecision(approval, call) : approval;
    if (decided.status === 'approved' || decided.status === 'denied') {
      const used = await this.opts.store.consume(decided.id, this.now());
      if (used) {
        this.changes.emit('change', { ...used, status: 'used' });
        const by = `${used.decidedBy ?? 'an operator'} in the console`;
        return used.status === 'approved' ? { kind: 'approved', by } : { kind: 'declined', by };
      }
    }
    // Still pending; or it expired while waiting, or a concurrent repeat of the same call used the
    // decision: this call asks again, without waiting twice.
    if (decided.status !== 'pending' && wait) return this.confirm(req, call, false);
    return { kind: 'pending', result: this.waitingResult(decided) };
  }

  /** Waits (up to waitMs) for a decision: woken at once in this process, by polling for another's. */
  private async waitForDecision(approval: ApprovalRecord, call: ConsoleCall): Promise<ApprovalRecord> {
    const until = this.now() + this.opts.waitMs;
    const pollMs = this.opts.pollMs ?? 250;
    let current = approval;
    let lastProgress = 0;
    while (current.status === 'pending' && this.now() < until && !call.signal?.aborted) {
      if (call.progress && this.now() - lastProgress >= 5000) {
        lastProgress = this.now();
        await call.progress(`Waiting for ${CONSOLE_DECIDER} to approve ${current.tool}.`);
      }
      await this.nextChange(current.id, Math.min(pollMs, until - this.now()), call.signal);
      current = (await this.get(current.id)) ?? current;
    }
    return current;
  }

  private nextChange(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changes.off('change', onChange);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const onChange = (a: ApprovalRecord) => {
        if (a.id === id) done();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.changes.on('change', onChange);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private waitingResult(a: ApprovalRecord): CallToolResult {
    const minutes = Math.max(1, Math.round((a.expiresAt - this.now()) / 60_000));
    const until = new Date(a.expiresAt).toISOString();
    const amount = a.amount !== null && a.currency ? ` (${formatMoney(a.amount, a.currency)})` : '';
    return {
      isError: true,
      content: [
        {
          type: 'text',
          text:
            `Waiting for approval: ${a.tool}${amount} needs a person's decision because ${a.reason}. Nothing was sent to Stripe.\n` +
            `It waits for ${CONSOLE_DECIDER} (its Approvals page; an operator opens it with \`mcp-stripe console\`), and stays valid for ${minutes} min, until ${until}. ` +
            'Tell the user it is waiting there. Once they have decided, repeat exactly the same call with the same arguments: approved, it runs once; denied, it is refused.',
        },
      ],
      _meta: {
        [META_KEY]: {
          error: 'approval_required' satisfies RefusalCode,
          approval: { status: 'pending', decided_by: 'operator (console)', expires_at: until },
        },
      },
    };
  }
}
