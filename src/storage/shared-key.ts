// A signing key every instance on one store shares: made once (32 random bytes), kept in the store's
// settings, and the same for an instance that starts at the same moment (the first one stored wins).
import { randomBytes } from 'node:crypto';
import type { OperatorAuth } from './ports.js';

export async function sharedKey(settings: Pick<OperatorAuth, 'keepValue'>, name: string): Promise<Buffer> {
  const kept = await settings.keepValue(name, randomBytes(32).toString('base64url'));
  return Buffer.from(kept, 'base64url');
}
