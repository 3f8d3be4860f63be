// `npx node bench/cel-health.ts`: the cost of judging one object by spec.healthCheckExprs (src/sync/cel-health.ts,
// @bufbuild/cel) against its peer in the same run, the built-in kstatus rules (health-rules.ts) on the same objects.
// Objects: custom resources with BENCH_CONDITIONS (default 8) conditions; rules in the shapes of Flux's CEL
// cheatsheet (a phase compare, a conditions filter/all, an exists with a nested field). Prints µs per object.
import type { KubeObject } from "../src/kube/resource.ts";
import { HealthExprs } from "../src/sync/cel-health.ts";
import { objectHealth } from "../src/sync/health-rules.ts";

const count = Number(process.env.BENCH_OBJECTS ?? 20_000);
const conditions = Number(process.env.BENCH_CONDITIONS ?? 8);

const objects: KubeObject[] = Array.from({ length: count }, (_, i) => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: `w${i}`, namespace: "bench", generation: 3 },
  spec: { size: i },
  status: {
    phase: i % 3 === 0 ? "Pending" : "Ready",
    observedGeneration: 3,
    conditions: Array.from({ length: conditions }, (_, c) => ({
      type: c === conditions - 1 ? "Ready" : `Cond${c}`,
      status: i % 3 === 0 ? "False" : "True",
      reason: "Bench",
    })),
  },
}));

const exprs = HealthExprs.compile([
  {
    apiVersion: "example.com/v1",
    kind: "Widget",
    inProgress: "status.observedGeneration != metadata.generation || status.phase == 'Pending'",
    failed: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False' && e.reason == 'Failed')",
    current: "status.conditions.exists(e, e.type == 'Ready' && e.status == 'True') && status.phase == 'Ready'",
  },
]);

function time(label: string, judge: (o: KubeObject) => unknown): number {
  for (const o of objects.slice(0, 1000)) judge(o); // warm-up
  const start = process.hrtime.bigint();
  for (const o of objects) judge(o);
  const us = Number(process.hrtime.bigint() - start) / 1000 / count;
  console.log(`${label.padEnd(8)} ${us.toFixed(2)} µs/object (${count} objects, ${conditions} conditions each)`);
  return us;
}

const cel = time("cel", (o) => exprs.evaluate(o));
const kstatus = time("kstatus", (o) => objectHealth(o));
console.log(`ratio cel/kstatus: ${(cel / kstatus).toFixed(1)}`);
