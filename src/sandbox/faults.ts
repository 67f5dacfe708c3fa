/**
 * Faults a test can inject into the sandbox, each applied to the next `times` matching requests:
 * - `status`: answer 429 (rate limit) or 5xx without executing the request;
 * - `delay`: wait `ms` before executing (to exceed a client timeout);
 * - `drop_after_commit`: execute and store the result, then destroy the socket without answering;
 * - `status_after_commit`: execute and store the result, then answer `status` (a 5xx) instead.
 */
export type Fault = { times?: number; method?: string; path?: string } & (
  | { kind: 'status'; status: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop_after_commit' }
  | { kind: 'status_after_commit'; status: number }
);

export class FaultQueue {
  private faults: (Fault & { left: number })[] = [];

  push(fault: Fault): void {
    if (!['status', 'delay', 'drop_after_commit', 'status_after_commit'].includes(fault.kind)) {
      throw new Error(`unknown fault kind: ${String(fault.kind)}`);
    }
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  get size(): number {
    return this.faults.length;
  }

  /** The first pending fault that matches this request, consumed by one use. */
  take(method: string, path: string): Fault | undefined {
    const i = this.faults.findIndex(
      (f) => (!f.method || f.method === method) && (!f.path || path.startsWith(f.path)),
    );
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (--f.left <= 0) this.faults.splice(i, 1);
    return f;
  }
}
