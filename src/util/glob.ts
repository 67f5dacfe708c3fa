const compiled = new Map<string, RegExp>();

/** A `*` glob (`list_*`, `invoice.*`) as an anchored RegExp, compiled once per pattern. */
export function globRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    compiled.set(pattern, re);
  }
  return re;
}
