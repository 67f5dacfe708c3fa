import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * WAL checkpoints, mostly off the event loop.
 *
 * SQLite checkpoints inside whichever commit takes the WAL past 1,000 pages (4 MB), and a
 * checkpoint fsyncs the WAL and the database file: every request on the loop waits out both
 * fsyncs, and under a webhook burst that happened every fraction of a second. Here a worker
 * thread with its own connection runs a passive checkpoint every `everyMs`: passive checkpoints
 * never take the write lock, so commits on the loop go on meanwhile.
 *
 * A passive checkpoint cannot finish while commits keep arriving, and only a finished one lets
 * the WAL start over, so under sustained writes the main connection still checkpoints itself, at
 * 10,000 pages (40 MB) instead of 1,000; most pages are in the database file by then. After a
 * burst the WAL file is cut back to 4 MB. If the worker cannot start or fails, the connection
 * goes back to SQLite's default.
 */
export interface Checkpointer {
  /** Stops the worker, after the checkpoint it is running, if any. */
  stop(): Promise<void>;
}

const BACKSTOP_PAGES = 10_000;
const DEFAULT_PAGES = 1_000;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(db: Database.Database, path: string, everyMs = 250): Checkpointer {
  let worker: Worker;
  try {
    const require = createRequire(import.meta.url);
    // Required here, not imported: loading worker_threads costs start-up 1–2 ms, and a server
    // that never writes never needs it.
    const threads = require('node:worker_threads') as typeof import('node:worker_threads');
    const driver = require.resolve('better-sqlite3');
    worker = new threads.Worker(WORKER, { eval: true, workerData: { driver, path, everyMs } });
  } catch {
    return { stop: () => Promise.resolve() };
  }
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  db.pragma(`journal_size_limit = ${4 * 1024 * 1024}`);
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('error', () => undefined); // the exit below handles it
    worker.once('exit', () => {
      if (!stopping && db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
      resolve();
    });
  });
  worker.unref();
  return {
    stop: () => {
      stopping = true;
      // Held while it stops: otherwise a process with nothing else to do ends before close() returns.
      worker.ref();
      worker.postMessage('stop');
      return exited;
    },
  };
}
