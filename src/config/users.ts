import { z } from 'zod';

/** A person who may sign in to the embedded authorization server (`users` in the config file). */
export const userSchema = z.strictObject({
  username: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
      'a username is 1 to 64 letters, digits, dots, dashes, @ or underscores',
    ),
  /** Made by `mcp-stripe users add`; never the password itself. */
  passwordHash: z
    .string()
    .regex(/^scrypt\$/, 'a passwordHash made by mcp-stripe users add (it starts with scrypt$)'),
  email: z.email().optional(),
  name: z.string().max(200).optional(),
  groups: z.array(z.string()).optional(),
  /** May be granted `stripe:admin`: sign in to the operator console and decide approvals. */
  admin: z.boolean().optional(),
});
export type UserEntry = z.infer<typeof userSchema>;
