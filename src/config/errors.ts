/** A configuration problem the user must fix; its message is safe to print (it never holds a secret). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}
