// A global setup shaped like the integration suite's (a folder, a server process, a teardown that reports), used by
// teardown.test.ts to run the real test runner with --test-force-exit and look at what it leaves behind.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, startProcess } from "../../env/process.ts";
import { teardownOnce } from "../../env/teardown.ts";
import { rmSync } from "node:fs";

interface FakeEnv {
  workDir: string;
  stopNow(): void;
}

let env: FakeEnv | undefined;

export function globalSetup(): void {
  const workDir = mkdtempSync(join(tmpdir(), "airlift-teardown-fixture-"));
  writeFileSync(join(workDir, "data"), "x".repeat(1 << 16));
  const proc = startProcess("sleeper", "sleep", ["300"], join(workDir, "sleeper.log"));
  process.stdout.write(`FIXTURE dir=${workDir} pid=${proc.child.pid}\n`);
  env = {
    workDir,
    stopNow: () => {
      killAll();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export const globalTeardown = teardownOnce(
  () => env,
  () => process.stdout.write("FIXTURE report\n"),
);
