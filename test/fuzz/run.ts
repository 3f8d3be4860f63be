// `npm run fuzz`: every target for FUZZ_RUNS runs (default 5,000) from FUZZ_SEED (default: a fresh one, printed);
// FUZZ_TARGET picks targets by a substring of their name. A failure prints the seed and path that reproduce it.
import { FUZZ_TARGETS } from "./targets.ts";

const runs = Number(process.env.FUZZ_RUNS ?? 5_000);
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const only = process.env.FUZZ_TARGET;
let failed = 0;
console.log(`fuzz: seed ${seed}, ${runs} runs per target`);
for (const target of FUZZ_TARGETS.filter((t) => !only || t.name.includes(only))) {
  const started = Date.now();
  try {
    await target.check({ seed, numRuns: runs });
    console.log(`ok    ${target.name} (${runs} runs, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${target.name}\n${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
