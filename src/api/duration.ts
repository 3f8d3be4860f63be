// Durations as Kubernetes writes them (metav1.Duration, Go's time.ParseDuration): "15s", "10m", "1h30m", "1.5h".
// The CRD pattern accepts the same strings, and CEL's duration() (https://github.com/google/cel-spec) parses them
// server-side for minimum checks, so a value the API server accepts always parses here.

/** The units accepted, in milliseconds. Sub-millisecond units are left out: no airlift timer needs them. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Pattern of a duration string (the CRD uses it too). */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

/** Parses a duration into milliseconds (rounded); throws RangeError with the offending value when malformed. */
export function parseDuration(value: string): number {
  if (!WHOLE.test(value)) {
    throw new RangeError(
      `invalid duration ${JSON.stringify(value.slice(0, 64))}: want a sequence like 15s, 10m or 1h30m`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of value.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit ?? ""] ?? 0);
  if (!Number.isSafeInteger(Math.round(total)))
    throw new RangeError(`invalid duration ${JSON.stringify(value)}: too large`);
  return Math.round(total);
}

/** Formats milliseconds the way Go prints a duration, without zero parts: 5400000 → "1h30m", 1500 → "1.5s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`invalid duration ${ms}: must be a finite, non-negative number`);
  if (ms === 0) return "0s";
  if (ms < 1_000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1_000;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}
