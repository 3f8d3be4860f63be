// Operator-wide defaults the reconcilers fall back to when a resource leaves an endpoint out. A GDC-style DNS suffix
// derives both, as the runbooks do by hand: `harbor.<suffix>` and `objectstorage.<suffix>`.
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OperatorDefaults {
  /** host[:port] of the registry used when a resource names none (e.g. `harbor.zone1.example.com`). */
  registry: string | undefined;
  /** URL of the S3 endpoint used when a resource names none (e.g. `https://objectstorage.zone1.example.com`). */
  s3Endpoint: string | undefined;
  /** Where reconcilers stage pulled and extracted content (an emptyDir in the Deployment). */
  workDir: string;
}

/** Resolves the defaults from explicit values, else from the DNS suffix. */
export function resolveDefaults(input: { registry?: string; s3Endpoint?: string; dnsSuffix?: string; workDir?: string }): OperatorDefaults {
  const suffix = input.dnsSuffix?.replace(/^\.+|\.+$/g, "");
  return {
    registry: input.registry || (suffix ? `harbor.${suffix}` : undefined),
    s3Endpoint: input.s3Endpoint || (suffix ? `https://objectstorage.${suffix}` : undefined),
    workDir: input.workDir || join(tmpdir(), "airlift"),
  };
}
