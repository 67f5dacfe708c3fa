import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { hashPassword } from '../auth/passwords.js';
import type { Flags } from '../config/load.js';
import { fileConfigSchema } from '../config/options.js';
import { userSchema, type UserEntry } from '../config/users.js';
import { fail } from './common.js';

export interface UserFlags {
  username?: string;
  email?: string;
  groups?: string;
  /** May sign in to the operator console (stripe:admin). */
  admin?: boolean;
}

/**
 * `mcp-stripe users add --username=NAME --config=FILE`: a user of the embedded authorization server
 * (--auth=embedded), written into the config file's `users` with a scrypt hash of the password. The
 * password is read from stdin (piped) or asked for without echo; it is never written anywhere.
 */
export async function runUsersAdd(flags: Flags, u: UserFlags): Promise<void> {
  const problems: string[] = [];
  if (!u.username) problems.push('users add needs --username=NAME.');
  if (!flags.config)
    problems.push('users add needs --config=FILE: the config file the server reads (created if missing).');
  if (problems.length) fail(problems);
  const path = flags.config!;

  let file: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      fail([`--config=${path} is not valid JSON: ${(err as Error).message}.`]);
    }
  }
  const password = await readPassword();
  if (password.length < 12) fail(['the password must be at least 12 characters.']);
  const entry = {
    username: u.username!,
    passwordHash: await hashPassword(password),
    ...(u.email ? { email: u.email } : {}),
    ...(u.groups
      ? {
          groups: u.groups
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean),
        }
      : {}),
    ...(u.admin ? { admin: true } : {}),
  };
  const parsed = userSchema.safeParse(entry);
  if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join('.') || 'user'}: ${i.message}.`));

  const users = (Array.isArray(file.users) ? file.users : []) as UserEntry[];
  const existed = users.some((x) => x.username === entry.username);
  const next = { ...file, users: [...users.filter((x) => x.username !== entry.username), parsed.data] };
  const checked = fileConfigSchema().safeParse(next);
  if (!checked.success)
    fail([
      `--config=${path} would not be valid after the change: ${checked.error.issues[0]?.message ?? 'invalid'}.`,
    ]);
  writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  process.stderr.write(
    `${existed ? 'Updated' : 'Added'} user "${entry.username}" in ${path} (only a scrypt hash of the password is kept). Restart the server to use it.\n`,
  );
}

/** The password from a pipe, or typed at a prompt that does not echo it. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write('Password: ');
  muted._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}
