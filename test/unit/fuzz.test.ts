// Every fuzz target with a fixed seed and a modest number of runs, so the unit suite replays the same hostile
// inputs each time; `npm run fuzz` runs them long with fresh seeds.
import { describe, it } from "node:test";
import { FUZZ_TARGETS } from "../fuzz/targets.ts";

const SEED = 20261124;

describe("fuzz targets (fixed seed)", () => {
  for (const target of FUZZ_TARGETS) {
    it(target.name, async () => {
      await target.check({ seed: SEED, numRuns: 150 });
    });
  }
});
