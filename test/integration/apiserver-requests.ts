// Requests the API server itself counted, by verb and resource (its `apiserver_request_total` series, read with
// `kubectl get --raw /metrics`): what a test or a benchmark reads before and after a step to know what the step
// cost, whoever the client was. The API server speaks TLS with client certificates, so a counting proxy in front of
// it could not see paths; its own counters can, and they count exactly what it served.
import { spawn } from "node:child_process";
import { toolPath } from "../env/index.ts";

/** `VERB resource` (`VERB(dry-run) resource` for dry runs) -> requests served so far (a WATCH counts when it ends). */
export type RequestCounts = Map<string, number>;

function kubectlRaw(kubeconfig: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath("kubectl"), ["--kubeconfig", kubeconfig, "get", "--raw", path], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve(Buffer.concat(out).toString("utf8")) : reject(new Error(`kubectl get --raw: ${err}`)),
    );
  });
}

/** The API server's request counters now. */
export async function apiRequestCounts(kubeconfig: string): Promise<RequestCounts> {
  const counts: RequestCounts = new Map();
  for (const line of (await kubectlRaw(kubeconfig, "/metrics")).split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = line.slice(line.indexOf("{") + 1, line.lastIndexOf("}"));
    const verb = /(?:^|,)verb="([^"]*)"/.exec(labels)?.[1] ?? "";
    const resource = /(?:^|,)resource="([^"]*)"/.exec(labels)?.[1] ?? "";
    const sub = /(?:^|,)subresource="([^"]*)"/.exec(labels)?.[1] ?? "";
    const dryRun = /(?:^|,)dry_run="([^"]*)"/.exec(labels)?.[1] ?? "";
    const key = `${verb}${dryRun ? "(dry-run)" : ""} ${resource}${sub ? `/${sub}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return counts;
}

/** `after - before`, only the keys that grew. */
export function countsSince(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = new Map();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

/** Requests of `verb` on `resource` in a delta (0 when none). */
export function countOf(delta: RequestCounts, verb: string, resource: string): number {
  return delta.get(`${verb} ${resource}`) ?? 0;
}

/** A one-line summary, largest first: `APPLY configmaps 10000, LIST configmaps 20, ...`. */
export function describeCounts(delta: RequestCounts): string {
  return [...delta]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}
