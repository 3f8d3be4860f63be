// Every external call takes the caller's AbortSignal and a time limit of its own; this is the one way the two are
// combined, so an abort and a timeout look the same to the code below (AbortError vs TimeoutError by name).

/** A signal that aborts when `signal` does or after `ms` milliseconds, whichever comes first. */
export function timeoutSignal(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** A timed signal whose timer the caller ends: `clear()` once the call is over. */
export interface ClearableSignal {
  signal: AbortSignal;
  clear: () => void;
}

/**
 * As timeoutSignal, with a timer that `clear()` stops. For calls made by the thousand (the API client's): the
 * timer of AbortSignal.timeout outlives the call and, on firing, builds a DOMException with a stack for every call
 * ever made, which is most of what an idle operator spends after a burst of reconciles.
 */
export function clearableTimeoutSignal(signal: AbortSignal | undefined, ms: number): ClearableSignal {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new DOMException(`timed out after ${ms} ms`, "TimeoutError")), ms);
  return {
    signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
    clear: () => clearTimeout(timer),
  };
}
