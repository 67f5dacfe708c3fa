/** About 25,000 tokens: no tool result is larger. */
export const MAX_RESULT_CHARS = 90_000;

function pick(obj: unknown, paths: string[][]): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const out: Record<string, unknown> = {};
  const src = obj as Record<string, unknown>;
  const groups = new Map<string, string[][]>();
  for (const [head, ...rest] of paths) {
    if (head === undefined || !(head in src)) continue;
    const g = groups.get(head) ?? [];
    if (rest.length) g.push(rest);
    else g.push([]);
    groups.set(head, g);
  }
  for (const [head, rests] of groups) {
    const v = src[head];
    out[head] = rests.some((r) => r.length === 0)
      ? v
      : Array.isArray(v)
        ? v.map((x) => pick(x, rests))
        : pick(v, rests);
  }
  return out;
}

/** Keeps only `fields` (dotted paths) of an object, or of each item of a list. `id` and `object` always stay. */
export function project(
  value: Record<string, unknown>,
  fields: string[] | undefined,
): Record<string, unknown> {
  if (!fields || fields.length === 0) return value;
  const paths = ['id', 'object', ...fields].map((f) => f.split('.'));
  if (value.object === 'list' || value.object === 'search_result') {
    return { ...value, data: (value.data as unknown[]).map((x) => pick(x, paths)) };
  }
  return pick(value, paths) as Record<string, unknown>;
}

/**
 * Cuts a result to the output budget. A list keeps as many items as fit and says how to get the
 * rest; a single object that is too large keeps its top-level scalars and names the dropped fields.
 */
export function fitToBudget(value: Record<string, unknown>): {
  result: Record<string, unknown>;
  truncated: boolean;
  note: string | null;
} {
  const size = JSON.stringify(value).length;
  if (size <= MAX_RESULT_CHARS) return { result: value, truncated: false, note: null };
  const listKey = ['data', 'results'].find((k) => Array.isArray(value[k]));
  if (listKey) {
    const items = value[listKey] as unknown[];
    let kept = items.length;
    while (
      kept > 0 &&
      JSON.stringify({ ...value, [listKey]: items.slice(0, kept) }).length > MAX_RESULT_CHARS
    )
      kept = Math.max(0, Math.floor(kept * 0.8));
    const last = items[kept - 1] as { id?: string } | undefined;
    return {
      result: { ...value, [listKey]: items.slice(0, kept), has_more: true },
      truncated: true,
      note: `Result cut to ${kept} of ${items.length} items to stay within the output budget. ${last?.id ? `Continue with starting_after=${last.id}, ` : ''}or pass fields (e.g. ["id","status"]) or a smaller limit.`,
    };
  }
  const scalars = Object.fromEntries(
    Object.entries(value).filter(([, v]) => v === null || typeof v !== 'object'),
  );
  const dropped = Object.keys(value).filter((k) => !(k in scalars));
  return {
    result: scalars,
    truncated: true,
    note: `Object too large for one result; nested fields dropped: ${dropped.join(', ')}. Ask for them with fields (e.g. ["${dropped[0] ?? 'id'}"]).`,
  };
}
