import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CREATE, defineTool, READ } from './define-tool.js';

const base = {
  title: 'T',
  description: 'A test tool.',
  toolset: 'customers' as const,
  input: {},
  output: z.object({}),
};
const handler = () => Promise.resolve({});

describe('defineTool', () => {
  it('derives whether a tool writes from readOnlyHint: writes take an idempotency_key, reads do not', () => {
    const write = defineTool({
      ...base,
      name: 'make_thing',
      access: { moneyMoving: false },
      annotations: CREATE,
      handler,
    });
    const read = defineTool({
      ...base,
      name: 'read_thing',
      access: { moneyMoving: false },
      annotations: READ,
      handler,
    });
    expect(write.access.write).toBe(true);
    expect(read.access.write).toBe(false);
    expect('idempotency_key' in write.input.shape).toBe(true);
    expect('idempotency_key' in read.input.shape).toBe(false);
  });

  it('refuses a read-only tool that says it moves money', () => {
    expect(() =>
      defineTool({ ...base, name: 'odd_thing', access: { moneyMoving: true }, annotations: READ, handler }),
    ).toThrow(/read-only tool cannot move money/);
  });
});
