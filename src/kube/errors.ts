// Typed reconcile errors (Flux source-controller's three kinds). The manager classifies by type, never by message:
//   StallingError  - the object cannot progress until it changes (bad input); no retry, `Stalled=True`.
//   WaitingError   - a dependency is not ready yet; retry after `retryAfterMs`, no backoff growth.
//   anything else  - transient; retried with per-object exponential backoff.
// Reasons are the catalogue's (api/conditions.ts).
import type { Reason } from "../api/conditions.ts";

/** An error that needs a spec change (or another object change) to resolve; never retried on its own. */
export class StallingError extends Error {
  override readonly name = "StallingError";
  /** PascalCase machine-readable reason for the `Stalled` and `Ready` conditions. */
  readonly reason: Reason;

  constructor(reason: Reason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** An error that clears with time (a Secret not created yet, a dependency still progressing). */
export class WaitingError extends Error {
  override readonly name = "WaitingError";
  readonly reason: Reason;
  /** When to look again. */
  readonly retryAfterMs: number;

  constructor(reason: Reason, message: string, retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A generic failure with a reason (network fault, 5xx, conflict): retried with backoff. */
export class TransientError extends Error {
  override readonly name = "TransientError";
  readonly reason: Reason;

  constructor(reason: Reason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** How the manager treats a failed reconcile. */
export type ErrorClass = "stalling" | "waiting" | "transient";

/** Classifies a thrown value by its type. */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof StallingError) return "stalling";
  if (err instanceof WaitingError) return "waiting";
  return "transient";
}

/** The PascalCase reason of a reconcile error (`ReconcileError` for untyped ones). */
export function errorReason(err: unknown): Reason {
  if (err instanceof StallingError || err instanceof WaitingError || err instanceof TransientError) return err.reason;
  return "ReconcileError";
}

/** A message safe for status and events: the error's own message only. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
