import type { ApiKeyRecord, ApiKeyStore } from '../ports.js';

export class MemoryApiKeys implements ApiKeyStore {
  private readonly keys: ApiKeyRecord[] = [];

  create(r: ApiKeyRecord): Promise<boolean> {
    if (this.keys.some((k) => k.name === r.name && k.revokedAt === null)) return Promise.resolve(false);
    this.keys.push({ ...r, scopes: [...r.scopes] });
    return Promise.resolve(true);
  }

  byHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const k = this.keys.find((x) => x.hash === hash);
    return Promise.resolve(k && { ...k });
  }

  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve([...this.keys].reverse().map((k) => ({ ...k })));
  }

  revoke(idOrName: string, now: number): Promise<ApiKeyRecord | undefined> {
    const k = this.keys.find((x) => (x.id === idOrName || x.name === idOrName) && x.revokedAt === null);
    if (k) k.revokedAt = now;
    return Promise.resolve(k && { ...k });
  }
}
