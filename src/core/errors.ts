// Error classes whose type decides what happens next: reply to the user, fail the job, or retry it.
import { UnrecoverableError } from "bullmq";

/** A mistake by the person using the bot or the CLI: shown as-is, never retried, no stack trace. */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** A failure that retrying cannot fix (bad payload, 4xx). BullMQ fails the job at once. */
export class PermanentError extends UnrecoverableError {
  override readonly name = "PermanentError";
}

/** A failure worth retrying after a known delay (429 Retry-After, M_LIMIT_EXCEEDED). */
export class RetryLaterError extends Error {
  override readonly name = "RetryLaterError";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
