// Progress of `import` and `pull` on stderr (stdout stays clean for --json): on a terminal one line redrawn in place
// up to ten times a second (carriage return, then erase-to-end-of-line so a shorter line leaves no stale characters,
// cut to the terminal's width so it never wraps); elsewhere a plain line every few seconds, for logs.
import type { ProgressSnapshot } from "../transfer/progress.ts";

export const PROGRESS_MODES = ["auto", "bar", "plain", "none"] as const;
export type ProgressFlag = (typeof PROGRESS_MODES)[number];
export type ProgressMode = "bar" | "plain" | "none";

/** How often each mode redraws (the engine's tracker throttles to this). */
const INTERVAL_MS: Record<ProgressMode, number> = { bar: 100, plain: 5_000, none: 60_000 };
/** The rate is measured over this recent window, so it follows the transfer rather than its whole history. */
const RATE_WINDOW_MS = 5_000;
const BAR_WIDTH = 24;

/** `auto` is a bar when `stream` is a terminal, plain lines otherwise. */
export function progressMode(flag: ProgressFlag, stream: NodeJS.WritableStream): ProgressMode {
  if (flag !== "auto") return flag;
  return (stream as { isTTY?: boolean }).isTTY ? "bar" : "plain";
}

/** Bytes as B, KiB, MiB or GiB with one decimal. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  if (!Number.isFinite(s) || s < 0) return "";
  if (s < 60) return `ETA ${s}s`;
  if (s < 3600) return `ETA ${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `ETA ${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One progress line (without bar): done / total, percent, blobs, rate and (with a rate) ETA. */
export function progressText(s: ProgressSnapshot, bytesPerSecond: number | undefined): string {
  const pct = s.bytesTotal > 0 ? Math.floor((100 * s.bytesDone) / s.bytesTotal) : 0;
  const rate = bytesPerSecond === undefined ? "" : `${formatBytes(Math.round(bytesPerSecond))}/s`;
  const eta =
    bytesPerSecond && s.bytesDone < s.bytesTotal ? formatEta((s.bytesTotal - s.bytesDone) / bytesPerSecond) : "";
  return [
    `${formatBytes(s.bytesDone)} / ${formatBytes(s.bytesTotal)}`,
    `${pct}%`,
    `blobs ${s.blobsDone}/${s.blobsTotal}`,
    rate,
    eta,
  ]
    .filter(Boolean)
    .join("  ");
}

/** The terminal line: bar and text, cut to `columns - 1`, to be written after "\r" and followed by erase-line. */
export function barLine(s: ProgressSnapshot, bytesPerSecond: number | undefined, columns: number): string {
  const filled = s.bytesTotal > 0 ? Math.round((BAR_WIDTH * s.bytesDone) / s.bytesTotal) : 0;
  const line = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${progressText(s, bytesPerSecond)}`;
  return line.slice(0, Math.max(10, columns - 1));
}

/** A progress listener and the interval it wants; call done() once the transfer ended. */
export interface ProgressPrinter {
  onProgress: ((s: ProgressSnapshot) => void) | undefined;
  intervalMs: number;
  /** Clears the bar before `print` writes a line of its own (on stdout, which may share the terminal). */
  above(print: () => void): void;
  done(): void;
}

/** Rate over the last RATE_WINDOW_MS of samples; undefined during the first second (too few bytes to tell). */
function rateMeter(now: () => number): (bytesDone: number) => number | undefined {
  const started = now();
  const samples: { at: number; bytes: number }[] = [{ at: started, bytes: 0 }];
  return (bytesDone) => {
    const at = now();
    samples.push({ at, bytes: bytesDone });
    while (samples.length > 2 && at - (samples[1]?.at ?? at) >= RATE_WINDOW_MS) samples.shift();
    const first = samples[0] ?? { at, bytes: 0 };
    return at - started < 1000 ? undefined : ((bytesDone - first.bytes) * 1000) / (at - first.at);
  };
}

/** A printer for `mode` writing to `out` (`now` is for tests). */
export function progressPrinter(
  mode: ProgressMode,
  out: NodeJS.WritableStream,
  now: () => number = Date.now,
): ProgressPrinter {
  if (mode === "none")
    return { onProgress: undefined, intervalMs: INTERVAL_MS.none, above: (print) => print(), done: () => undefined };
  const rate = rateMeter(now);
  let drawn = false;
  const onProgress = (s: ProgressSnapshot): void => {
    const bytesPerSecond = rate(s.bytesDone);
    if (mode === "plain") {
      out.write(`progress: ${progressText(s, bytesPerSecond)}\n`);
      return;
    }
    out.write(`\r${barLine(s, bytesPerSecond, (out as { columns?: number }).columns ?? 80)}\x1b[K`);
    drawn = true;
  };
  return {
    onProgress,
    intervalMs: INTERVAL_MS[mode],
    above: (print) => {
      if (drawn) out.write("\r\x1b[K");
      drawn = false;
      print();
    },
    done: () => {
      if (drawn) out.write("\n");
      drawn = false;
    },
  };
}
