// One temporary root per test run. The runner sets it as TMPDIR before any test process starts, so every folder a
// test, the operator it spawns or a tool it runs (crane, skopeo, cosign...) makes under the system temp dir lands in
// it, and the teardown removes it whole: a test that forgets its own cleanup leaves nothing on the machine.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Disposable } from "./teardown.ts";

/** The run's temp root. */
export interface TempRoot extends Disposable {
  path: string;
}

/**
 * Makes the root (inside `parent`, or a fresh folder under the system temp dir) and points TMPDIR at it for this
 * process and the test processes the runner spawns after it.
 */
export function useTempRoot(parent?: string): TempRoot {
  const path = parent ? join(parent, "tmp") : mkdtempSync(join(tmpdir(), "airlift-tests-"));
  mkdirSync(path, { recursive: true });
  process.env.TMPDIR = path;
  return { path, stopNow: () => rmSync(path, { recursive: true, force: true }) };
}
