/**
 * A backup or restore that cannot go on: the message says what is wrong in the person's words
 * and ends with the fix, like every other error the `hearth` command prints.
 */
export class BackupError extends Error {
  override name = 'BackupError';
  readonly fix: string;
  constructor(message: string, fix: string, options?: ErrorOptions) {
    super(`${message}. Fix: ${fix}`, options);
    this.fix = fix;
  }
}
