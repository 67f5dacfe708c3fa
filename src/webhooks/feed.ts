import { typeMatcher } from '../storage/glob.js';
import type { EventLog, EventQuery, StoredEvent } from '../storage/ports.js';

export interface WaitQuery {
  type?: string;
  objectId?: string;
  /** Also accept events already stored (for a given object: anything in the log). */
  includeExisting: boolean;
  /** Only events stored after this moment (ms), when not including existing ones. */
  receivedAfter: number;
}

/**
 * The event log plus "tell me when something arrives". Stored events wake waiters in this process at
 * once, and so do events other instances store when the store tells of them (Postgres); a slow poll
 * of the log catches the rest.
 */
export class EventFeed {
  private readonly listeners = new Set<(e: StoredEvent) => void>();

  /**
   * Set when nothing brings events in (stdio with a key, no webhook listener, no sync): how to get
   * them, for the event tools to say when they find nothing.
   */
  noSource?: string;

  constructor(
    readonly log: EventLog,
    private readonly pollMs = 1000,
  ) {
    // A shared store tells of events other instances stored: their waiters here wake at once too. Read
    // only while someone waits (at thousands of events a second, most are told to nobody).
    this.ready =
      log.subscribe?.((id) => {
        if (this.listeners.size > 0)
          void log.get(id).then(
            (e) => e && this.notify(e),
            () => {},
          );
      }).ready ?? Promise.resolve();
  }

  /** Once events other instances store can wake this feed's waiters. */
  readonly ready: Promise<void>;

  /** Now, by the clock that stamps events' `receivedAt` (the database's with a shared store). */
  now(): Promise<number> {
    // A store that does not answer now will not find events either: the host's clock will do.
    return (this.log.now?.() ?? Promise.resolve(Date.now())).catch(() => Date.now());
  }

  /** Called by the webhook receiver and the sync after storing a new event. */
  notify(event: StoredEvent): void {
    for (const l of this.listeners) l(event);
  }

  private async findStored(q: WaitQuery): Promise<StoredEvent | undefined> {
    const query: EventQuery = { type: q.type, objectId: q.objectId, limit: 1 };
    if (!q.includeExisting) query.receivedAfter = q.receivedAfter;
    return (await this.log.list(query)).events[0];
  }

  /** Resolves with the first matching event, or undefined at the timeout. `tick` runs about once a second. */
  async waitFor(
    q: WaitQuery,
    timeoutMs: number,
    tick?: (elapsedMs: number) => void,
    signal?: AbortSignal,
  ): Promise<StoredEvent | undefined> {
    const matchType = typeMatcher(q.type);
    const started = Date.now();
    return new Promise<StoredEvent | undefined>((resolve) => {
      let done = false;
      const finish = (e: StoredEvent | undefined) => {
        if (done) return;
        done = true;
        this.listeners.delete(listener);
        clearInterval(timer);
        clearTimeout(deadline);
        signal?.removeEventListener('abort', abort);
        resolve(e);
      };
      const listener = (e: StoredEvent) => {
        if (matchType(e.type) && (!q.objectId || e.objectId === q.objectId)) finish(e);
      };
      const abort = () => finish(undefined);
      this.listeners.add(listener);
      signal?.addEventListener('abort', abort);
      const timer = setInterval(() => {
        tick?.(Date.now() - started);
        void this.findStored(q).then(
          (e) => e && finish(e),
          () => {},
        );
      }, this.pollMs);
      const deadline = setTimeout(() => finish(undefined), timeoutMs);
      // Listening first, then the look at what is stored: an event stored in between is not missed.
      void this.findStored(q).then(
        (e) => e && finish(e),
        () => {},
      );
    });
  }
}
