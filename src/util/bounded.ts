/**
 * Keeps in-memory collections of a long-running process bounded: past `max`, the oldest entries go
 * (arrays drop from the front, maps by insertion order). For the sandbox and the in-memory store.
 */
export const DEFAULT_RETAIN = 10_000;

export function trimArray<T>(items: T[], max: number): T[] {
  // Trimmed in slices of a tenth, so a full collection does not shift on every insert.
  if (items.length > max) return items.splice(0, items.length - Math.floor(max * 0.9));
  return [];
}

export function trimMap<K, V>(map: Map<K, V>, max: number): void {
  if (map.size <= max) return;
  const drop = map.size - Math.floor(max * 0.9);
  let n = 0;
  for (const key of map.keys()) {
    if (n++ >= drop) break;
    map.delete(key);
  }
}
