import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * Hands a zod schema to the MCP SDK for `tools/list` while the runner keeps validation (so bad
 * arguments become `isError` results that name the field, in our words). The JSON Schema is
 * trimmed of noise that costs agents context: `$schema` and the ±2^53 bounds zod adds to integers.
 */
const advertised = new WeakMap<z.ZodType, StandardSchemaWithJSON>();

export function advertise(schema: z.ZodType, io: 'input' | 'output'): StandardSchemaWithJSON {
  const known = advertised.get(schema);
  if (known) return known;
  let cached: Record<string, unknown> | undefined;
  const json = () => (cached ??= trim(z.toJSONSchema(schema, { io, unrepresentable: 'any' }), io));
  const wrapped = {
    '~standard': {
      version: 1,
      vendor: 'mcp-stripe',
      validate: (value: unknown) => ({ value }),
      jsonSchema: { input: json, output: json },
    },
  } as StandardSchemaWithJSON;
  advertised.set(schema, wrapped);
  return wrapped;
}

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Every byte of `tools/list` costs agents context. Inputs keep everything that constrains a call.
 * Outputs describe data the agent reads, so they drop what only a validator needs
 * (`additionalProperties: false`, `propertyNames`, `required`), and nullable scalars become
 * `"type": ["string", "null"]` instead of an `anyOf`.
 */
function trim(
  node: Record<string, unknown>,
  io: 'input' | 'output',
  /** `node` is a `properties` map: its keys are property names (even `required`), not keywords. */
  names = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (names) {
      out[k] = v && typeof v === 'object' ? trim(v as Record<string, unknown>, io) : v;
      continue;
    }
    if (k === '$schema') continue;
    if ((k === 'maximum' && v === SAFE) || (k === 'minimum' && v === -SAFE)) continue;
    if (io === 'output' && (k === 'additionalProperties' || k === 'propertyNames' || k === 'required'))
      continue;
    if (Array.isArray(v))
      out[k] = v.map((x: unknown) =>
        x && typeof x === 'object' ? trim(x as Record<string, unknown>, io) : x,
      );
    else if (v && typeof v === 'object') out[k] = trim(v as Record<string, unknown>, io, k === 'properties');
    else out[k] = v;
  }
  const any = out.anyOf as Record<string, unknown>[] | undefined;
  if (io === 'output' && any && any.every((s) => Object.keys(s).length === 1 && typeof s.type === 'string')) {
    delete out.anyOf;
    out.type = any.map((s) => s.type);
  }
  return out;
}
