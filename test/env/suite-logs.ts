// Every log airlift writes during the integration suite goes to one folder (AIRLIFT_TEST_LOGS, set by the global
// setup), so that the global teardown can scan the whole suite's logs for each secret value the harness created.
// Outside the suite (a file run alone) the logs go to a temporary folder and nothing scans them.
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  type WriteStream,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";

let fallback: string | undefined;

function logDir(): string {
  const dir = process.env.AIRLIFT_TEST_LOGS ?? (fallback ??= mkdtempSync(join(tmpdir(), "airlift-test-logs-")));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A file of the suite's log folder for one operator (or CLI run); `name` says which test wrote it. */
export function suiteLog(name: string): WriteStream {
  return createWriteStream(join(logDir(), `${name.replace(/[^\w.-]/g, "_")}-${process.pid}-${Date.now()}.log`), {
    flags: "a",
  });
}

/** Copies a child process's stdout and stderr into the suite's log folder as well. */
export function teeToSuiteLog(name: string, ...streams: (Readable | null | undefined)[]): void {
  const file = suiteLog(name);
  for (const s of streams) s?.on("data", (chunk: Buffer) => file.write(chunk));
}

/** Finds each secret value in each log file of `dir`; returns "file: which secret" lines (never the value). */
export function scanLogs(
  dir: string,
  secrets: Record<string, string>,
): { files: number; bytes: number; findings: string[] } {
  const findings: string[] = [];
  let files = 0;
  let bytes = 0;
  if (!existsSync(dir)) return { files, bytes, findings };
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), "utf8");
    files++;
    bytes += text.length;
    for (const [what, value] of Object.entries(secrets))
      if (value && text.includes(value)) findings.push(`${name}: ${what}`);
  }
  return { files, bytes, findings };
}
