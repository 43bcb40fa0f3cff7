// PermanentError must stay a BullMQ UnrecoverableError (the job fails at once), though errors.ts loads the
// class from its own file rather than BullMQ's index.
import { describe, expect, it } from "vitest";
import { UnrecoverableError } from "bullmq";
import { PermanentError } from "../../src/core/errors.js";

describe("PermanentError", () => {
  it("is an instance of the UnrecoverableError that BullMQ's index exports", () => {
    const err = new PermanentError("bad payload");
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(err.name).toBe("PermanentError");
    expect(err.message).toBe("bad payload");
  });
});
