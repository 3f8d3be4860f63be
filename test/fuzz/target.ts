// A fuzz target: a fast-check property over hostile input, and the class of error a refusal must take. Run with a
// fixed seed and few runs by the unit suite (test/unit/fuzz.test.ts), long and with a fresh seed by `npm run fuzz`.
/** How long and from where a run goes; a failure prints the seed and path that reproduce it. */
export interface FuzzParams {
  seed: number;
  numRuns: number;
  path?: string;
}

export interface FuzzTarget {
  /** What is fuzzed, e.g. "tar index: mutated archives". */
  name: string;
  /** Runs the property (`fc.assert`); rejects with fast-check's report on a counterexample. */
  check(params: FuzzParams): Promise<void>;
}

/**
 * Runs `parse`; a throw must be an instance of one of `allowed` (the parser's own typed refusal), anything else
 * (TypeError, RangeError, a hang caught by the caller's timeout) fails the property with the input shown.
 */
export async function refusesOnlyWith<T>(
  parse: () => T | Promise<T>,
  allowed: readonly (abstract new (...args: never[]) => Error)[],
): Promise<T | undefined> {
  try {
    return await parse();
  } catch (err) {
    if (allowed.some((c) => err instanceof c)) return undefined;
    throw new Error(`unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
  }
}
