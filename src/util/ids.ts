/** The id of an expandable field, whether Stripe returned the id or the object. */
export function idOf(v: string | { id: string }): string;
export function idOf(v: string | { id: string } | null | undefined): string | null;
export function idOf(v: string | { id: string } | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : v.id;
}
