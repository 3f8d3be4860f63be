// The shape of an `airlift` subcommand and the flag helpers they share.

/** Exit codes of every subcommand. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Where a command writes (process streams in production, buffers in tests). */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** One subcommand, loaded lazily by the dispatcher. */
export interface Command {
  name: string;
  /** One line for `airlift --help`. */
  summary: string;
  /** Full help text for `airlift <cmd> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A command-line mistake: printed with the usage and exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parses a Go-style duration ("500ms", "15s", "2m", "1h", "1m30s") into milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (unit[m[2] ?? "s"] ?? 1);
    matched = re.lastIndex;
  }
  if (!text || matched !== text.length) throw new UsageError(`invalid duration "${text}": use e.g. 500ms, 15s, 2m`);
  return total;
}

/** Parses a positive integer flag. */
export function parsePositiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${text}"`);
  return n;
}

/** Reads a boolean from the environment ("true", "1", "yes"). */
export function envBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  return ["1", "true", "yes", "on"].includes(value.toLowerCase());
}
