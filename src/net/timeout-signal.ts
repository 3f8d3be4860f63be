// Every external call takes the caller's AbortSignal and a time limit of its own; this is the one way the two are
// combined, so an abort and a timeout look the same to the code below (AbortError vs TimeoutError by name).

/** A signal that aborts when `signal` does or after `ms` milliseconds, whichever comes first. */
export function timeoutSignal(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
