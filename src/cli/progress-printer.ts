// Progress for the transfer commands: a redrawn bar on a TTY, a plain line every few seconds otherwise.
import type { ProgressSnapshot } from "../transfer/progress.ts";
import { UsageError } from "./command.ts";

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export type ProgressMode = "bar" | "plain" | "none";

export function progressMode(flag: string, stream: NodeJS.WritableStream): ProgressMode {
  if (flag === "auto") return (stream as { isTTY?: boolean }).isTTY ? "bar" : "plain";
  if (flag === "bar" || flag === "plain" || flag === "none") return flag;
  throw new UsageError(`--progress must be auto, bar, plain or none, got "${flag}"`);
}

/** A listener printing snapshots in `mode` to `out`. */
export function progressPrinter(mode: ProgressMode, out: NodeJS.WritableStream): ((s: ProgressSnapshot) => void) | undefined {
  if (mode === "none") return undefined;
  const started = Date.now();
  return (s) => {
    const pct = s.bytesTotal > 0 ? Math.floor((100 * s.bytesDone) / s.bytesTotal) : 0;
    const rate = s.bytesDone / Math.max(0.001, (Date.now() - started) / 1000);
    const text = `${mib(s.bytesDone)} / ${mib(s.bytesTotal)} (${pct}%), blobs ${s.blobsDone}/${s.blobsTotal}, ${mib(rate)}/s`;
    if (mode === "bar") {
      const width = 30;
      const filled = Math.round((width * pct) / 100);
      out.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${text}`);
    } else {
      out.write(`progress: ${text}\n`);
    }
  };
}
