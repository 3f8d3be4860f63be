// The integration harness cleans up whatever the runner does: the real `node --test --test-force-exit` with a global
// setup shaped like the suite's leaves no folder and no process behind, and the teardown's report runs once.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const here = join(dirname(fileURLToPath(import.meta.url)), "teardown-fixture");

/** True while `pid` runs; a zombie (killed, not yet reaped by an init that may never reap it) counts as gone. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

it("leaves no environment folder or server process behind under --test-force-exit, and reports once", () => {
  // Without NODE_TEST_CONTEXT the nested runner behaves as a top-level one, not as this runner's child.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(
    process.execPath,
    ["--test", "--test-force-exit", `--test-global-setup=${join(here, "setup.ts")}`, join(here, "trivial.ts")],
    {
      encoding: "utf8",
      env,
      timeout: 60_000,
    },
  );
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const m = /FIXTURE dir=(\S+) pid=(\d+)/.exec(run.stdout);
  assert.ok(m, run.stdout);
  assert.equal(existsSync(m[1]!), false, `${m[1]} was left behind`);
  assert.equal(alive(Number(m[2])), false, "the server process outlived the runner");
  assert.equal(run.stdout.split("FIXTURE report").length - 1, 1, run.stdout);
});
