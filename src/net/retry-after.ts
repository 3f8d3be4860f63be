// `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP date. Registries send it with 429 and 503;
// the retry rule (backoff.ts `retryDelay`) waits at least as long as asked, up to a cap.

/** The delay in milliseconds a `Retry-After` value asks for, or undefined when it is absent or malformed. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the HTTP-date forms carry letters and a comma or GMT; a bare number with a sign or dot is malformed.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
