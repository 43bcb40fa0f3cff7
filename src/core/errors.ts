// Error classes whose type decides what happens next: reply to the user, fail the job, or retry it.
import { createRequire } from "node:module";
import type { UnrecoverableError as BullUnrecoverable } from "bullmq";

// BullMQ's index takes most of a one-shot CLI's start to load; its error class is one small file, the very
// class object the index exports (test/core/errors.test.ts holds this), so a CLI tool never loads BullMQ.
const { UnrecoverableError } = createRequire(import.meta.url)(
  "bullmq/dist/cjs/classes/errors/unrecoverable-error.js",
) as { UnrecoverableError: typeof BullUnrecoverable };

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
