// The process logger: JSON lines on stdout, level from flag or LOG_LEVEL, credentials redacted wherever they sit.
import { pino, type Logger, type LevelWithSilent } from "pino";

/** Paths pino censors; `*` covers one level of nesting (a reconcile's `spec`, a request's `headers`). */
export const REDACT_PATHS: readonly string[] = [
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "*.Authorization",
  "headers.authorization",
  "*.headers.authorization",
  "secretAccessKey",
  "*.secretAccessKey",
  "*.stringData",
];

const LEVELS: readonly string[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Options of createLogger. */
export interface LoggerOptions {
  /** pino level; defaults to LOG_LEVEL, then "info". */
  level?: string;
  /** Where to write (default stdout); tests pass a stream to read the lines back. */
  destination?: NodeJS.WritableStream;
  /** Extra fields on every line. */
  base?: Record<string, unknown>;
}

/** True when `level` is a pino level name. */
export function isLogLevel(level: string): level is LevelWithSilent {
  return LEVELS.includes(level);
}

/** Builds the root logger; throws on an unknown level so a typo in a flag fails at start. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  if (!isLogLevel(level)) throw new Error(`unknown log level "${level}"; use one of ${LEVELS.join(", ")}`);
  return pino(
    {
      level,
      base: options.base ?? { app: "airlift" },
      redact: { paths: [...REDACT_PATHS], censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? process.stdout,
  );
}
