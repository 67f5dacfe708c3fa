import type { LogLevel } from './config/schema.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Stripe keys (also as Stripe masks them, `sk_test_****1234`) and webhook secrets, wherever they appear in text. */
const SECRET = /\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9*]{4,}|\bwhsec_[A-Za-z0-9+/=]{4,}/g;

export function redactSecrets(text: string): string {
  return text.replace(SECRET, (m) => `${m.slice(0, m.indexOf('_', 3) + 1)}[redacted]`);
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Structured logs: one JSON object per line on stderr (stdout belongs to the stdio protocol).
 * Every line passes through secret redaction.
 */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const line = JSON.stringify(
      { time: new Date().toISOString(), level: lvl, msg, ...fields },
      errorReplacer,
    );
    write(`${redactSecrets(line)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
