// How long airlift waits on a peer that has gone silent. A partition that drops packets without a reset never ends a
// connection by itself (TCP retransmits for many minutes, and a proxy in between keeps both halves open), so every
// exchange needs a bound of its own; these are the one place those bounds live. docs/operators-guide.md ("Network
// partitions") states them. Leader election's lease timings are flags (--lease-duration, --renew-deadline).

/** A TCP (and TLS) connection not established in this long has failed. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * An open transfer (registry or S3; upload or download) that moves no byte in this long is given up and retried:
 * a response body with no chunk, a request body that cannot be written, a sent request with no answer.
 */
export const TRANSFER_IDLE_TIMEOUT_MS = 30_000;

/**
 * An HTTP/2 connection (the API server's; a registry's that offers h2) is PINGed this often, and dropped with every
 * stream on it when a PING is still unanswered at the next one: a silent one goes within H2_DEAD_AFTER_MS. Aborting
 * a stream (a request's own timeout) resets only that stream, so without this the next request would wait on the
 * same dead connection.
 */
export const H2_PING_INTERVAL_MS = 15_000;

/** A silent HTTP/2 connection, and every watch and request on it, is given up within this long. */
export const H2_DEAD_AFTER_MS = 2 * H2_PING_INTERVAL_MS;

/** One API server request (not a watch), answer included. */
export const API_REQUEST_TIMEOUT_MS = 30_000;

/** How often the API server sends a BOOKMARK on a quiet watch that asked for them (its watch cache: every minute). */
export const WATCH_BOOKMARK_INTERVAL_MS = 60_000;

/**
 * A watch that delivers nothing, not even a bookmark, for this long is dead: dropped and resumed (a bookmark missed
 * by half an interval, so a late one is not mistaken for a partition).
 */
export const WATCH_SILENCE_TIMEOUT_MS = WATCH_BOOKMARK_INTERVAL_MS * 1.5;
