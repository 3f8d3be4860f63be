// What every `airlift` subcommand shares: the exit codes the help promises, the streams it writes to, the two error
// kinds (a usage mistake, exit 2; a failure with its own exit code) and the flag parsers.
import { InvalidArgumentError, type Command } from "commander";

/** Exit codes of every subcommand (import and pull add 3..7, see transfer-flags.ts). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Where a command writes (process streams in production, buffers in tests). */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** One run of the CLI: its streams, and the exit code the command's action sets. */
export interface CliContext {
  io: CliIO;
  exitCode: number;
}

/** A subcommand's module exports one of these: it builds the commander command, whose action sets ctx.exitCode. */
export type CommandFactory = (ctx: CliContext) => Command;

/** A command-line mistake: one line, "see `airlift <cmd> --help`", exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A failure the user can act on: one line and a documented exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
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

/** commander parser of a duration flag: a bad value is reported like any other usage error. */
export function durationArg(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new InvalidArgumentError("Use a duration like 500ms, 15s or 2m.");
  }
}

/** commander parser of a positive integer flag. */
export function positiveIntArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("Use a positive integer.");
  return n;
}

/** Reads a boolean from the environment ("true", "1", "yes"). */
export function envBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  return ["1", "true", "yes", "on"].includes(value.toLowerCase());
}
