/**
 * Runs every close in order, each even when one before it failed, then throws the first failure:
 * one failing close (a socket, a worker) never leaves the rest (the store) open.
 */
export async function closeAll(closers: readonly (() => Promise<void> | void)[]): Promise<void> {
  let first: unknown;
  let failed = false;
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      if (!failed) first = err;
      failed = true;
    }
  }
  if (failed) throw first;
}
