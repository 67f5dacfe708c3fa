import { invalid, missingParam } from './errors.js';

/**
 * Form parameters as `qs` parses Stripe's bracket encoding: every leaf is a string.
 * These readers coerce and validate one parameter each, naming it in the error.
 */
export type Params = Record<string, unknown>;

const INT = /^-?\d+$/;

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function str(p: Params, name: string, opts: { required: true; oneOf?: readonly string[] }): string;
export function str(
  p: Params,
  name: string,
  opts?: { required?: boolean; oneOf?: readonly string[] },
): string | undefined;
export function str(p: Params, name: string, opts: { required?: boolean; oneOf?: readonly string[] } = {}) {
  const v = p[name];
  if (v === undefined || v === '') {
    if (opts.required) throw missingParam(name);
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(`Invalid string: ${name} must be a string.`, name);
  if (opts.oneOf && !opts.oneOf.includes(v)) {
    throw invalid(`Invalid ${name}: must be one of ${opts.oneOf.join(', ')}`, name);
  }
  return v;
}

export function int(p: Params, name: string, opts: { required: true; min?: number; max?: number }): number;
export function int(
  p: Params,
  name: string,
  opts?: { required?: boolean; min?: number; max?: number },
): number | undefined;
export function int(p: Params, name: string, opts: { required?: boolean; min?: number; max?: number } = {}) {
  const v = p[name];
  if (v === undefined || v === '') {
    if (opts.required) throw missingParam(name);
    return undefined;
  }
  if (typeof v !== 'string' || !INT.test(v)) throw invalid(`Invalid integer: ${show(v)}`, name);
  const n = Number(v);
  if (opts.min !== undefined && n < opts.min) {
    throw invalid(`Invalid ${name}: must be at least ${opts.min}`, name);
  }
  if (opts.max !== undefined && n > opts.max) {
    throw invalid(`Invalid ${name}: must be at most ${opts.max}`, name);
  }
  return n;
}

export function num(p: Params, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw invalid(`Invalid decimal: ${show(v)}`, name);
  return n;
}

export function bool(p: Params, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalid(`Invalid boolean: ${show(v)}`, name);
}

export function obj(p: Params, name: string): Params | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalid(`Invalid object: ${name} must be a hash.`, name);
  }
  return v as Params;
}

export function arr(p: Params, name: string): unknown[] | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (Array.isArray(v)) return v as unknown[];
  // qs turns arrays with gaps or more than `arrayLimit` items into objects keyed by index.
  if (typeof v === 'object' && v !== null) return Object.values(v as Record<string, unknown>);
  throw invalid(`Invalid array: ${name} must be an array.`, name);
}

/** Stripe's metadata semantics: merge on update, an empty string deletes a key, at most 50 keys. */
export function metadata(p: Params, current: Record<string, string> = {}): Record<string, string> {
  const m = p.metadata;
  if (m === undefined) return current;
  if (m === '') return {};
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    throw invalid('Invalid hash: metadata must be a hash of string keys and values.', 'metadata');
  }
  const out = { ...current };
  for (const [k, v] of Object.entries(m as Params)) {
    if (typeof v !== 'string') throw invalid(`Invalid metadata value for key ${k}.`, `metadata[${k}]`);
    if (k.length > 40) throw invalid('Metadata keys can be at most 40 characters.', `metadata[${k}]`);
    if (v.length > 500) throw invalid('Metadata values can be at most 500 characters.', `metadata[${k}]`);
    if (v === '') delete out[k];
    else out[k] = v;
  }
  if (Object.keys(out).length > 50) throw invalid('Metadata can have at most 50 keys.', 'metadata');
  return out;
}

export function currency(p: Params, name = 'currency', required = true): string {
  const c = str(p, name, { required });
  if (c === undefined) return '';
  if (!/^[a-zA-Z]{3}$/.test(c)) throw invalid(`Invalid currency: ${c}.`, name);
  return c.toLowerCase();
}
