import { describe, expect, it } from 'vitest';
import { closeAll } from './close-all.js';

describe('closeAll', () => {
  it('runs every close even when one fails, then reports the first failure', async () => {
    const ran: string[] = [];
    await expect(
      closeAll([
        () => void ran.push('http'),
        () => {
          ran.push('sandbox');
          throw new Error('sandbox close failed');
        },
        async () => {
          ran.push('store');
          await Promise.reject(new Error('second failure'));
        },
        () => void ran.push('last'),
      ]),
    ).rejects.toThrow('sandbox close failed');
    expect(ran).toEqual(['http', 'sandbox', 'store', 'last']);
  });
});
