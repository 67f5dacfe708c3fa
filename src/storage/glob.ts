/** `invoice.*`, `*.succeeded`, `customer.subscription.*`: `*` matches any run of characters. */
export function typeMatcher(pattern: string | undefined): (type: string) => boolean {
  if (!pattern || pattern === '*') return () => true;
  if (!pattern.includes('*')) return (t) => t === pattern;
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (t) => re.test(t);
}

/** The same pattern as a SQL LIKE expression (escape char `\`). */
export function typeLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

/** Newer first: by created, then by id (a deterministic tie-break). */
export function newer(a: { created: number; id: string }, b: { created: number; id: string }): boolean {
  return a.created > b.created || (a.created === b.created && a.id > b.id);
}
