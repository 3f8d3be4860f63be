// airlift's own metrics, the ones no controller-runtime operator has: bytes moved, imports by result and duration,
// OciSync's registry requests (its steady-state cost) and drift corrections. They keep the `airlift_` prefix; the
// runtime's metrics use controller-runtime's names (reconcile-metrics.ts, workqueue-metrics.ts).
import { Counter, Histogram, type Registry } from "prom-client";

/** Directions of the bytes-transferred counter. */
export const TRANSFER_DIRECTIONS = ["download", "upload"] as const;
export type TransferDirection = (typeof TRANSFER_DIRECTIONS)[number];

/** Results of a finished ImageImport, the `result` label of airlift_imageimport_imports_total. */
export const IMPORT_RESULTS = ["succeeded", "unchanged", "failed", "retrying"] as const;

/** ImageImport's metrics. */
export interface ImportMetrics {
  /** airlift_imageimport_imports_total{result}. */
  readonly imports: Counter<"result">;
  /** airlift_imageimport_duration_seconds: imports that ran. */
  readonly duration: Histogram;
}

/** OciSync's metrics. */
export interface OciSyncMetrics {
  /** airlift_ocisync_registry_requests_total: one HEAD per period in steady state. */
  readonly registryRequests: Counter;
  /** airlift_ocisync_drift_corrections_total: re-applies because managed objects changed outside the source. */
  readonly driftCorrections: Counter;
}

/** airlift's own metrics. */
export interface AirliftMetrics {
  /** airlift_bytes_transferred_total{controller,direction}. */
  readonly bytesTransferred: Counter<"controller" | "direction">;
  readonly imageImport: ImportMetrics;
  readonly ociSync: OciSyncMetrics;
}

/** Registers airlift's own metrics on `registry`, every fixed label set at zero. */
export function createAirliftMetrics(registry: Registry): AirliftMetrics {
  const registers = [registry];
  const bytesTransferred = new Counter({
    name: "airlift_bytes_transferred_total",
    help: "Bytes moved between buckets, registries and clusters.",
    labelNames: ["controller", "direction"] as const,
    registers,
  });
  const imports = new Counter({
    name: "airlift_imageimport_imports_total",
    help: "Imports finished, by result.",
    labelNames: ["result"] as const,
    registers,
  });
  for (const result of IMPORT_RESULTS) imports.inc({ result }, 0);
  const duration = new Histogram({
    name: "airlift_imageimport_duration_seconds",
    help: "Duration of imports that ran.",
    buckets: [1, 5, 15, 60, 300, 900, 3600],
    registers,
  });
  const registryRequests = new Counter({
    name: "airlift_ocisync_registry_requests_total",
    help: "Registry requests made by OciSync (HEAD per period in steady state).",
    registers,
  });
  const driftCorrections = new Counter({
    name: "airlift_ocisync_drift_corrections_total",
    help: "Re-applies of an OciSync's source because managed objects were changed or deleted outside it.",
    registers,
  });
  return { bytesTransferred, imageImport: { imports, duration }, ociSync: { registryRequests, driftCorrections } };
}
