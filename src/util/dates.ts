/** `2026-10-01`: the UTC day of a Unix time in seconds, as the analytics tools and pages show days. */
export const isoDay = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);
