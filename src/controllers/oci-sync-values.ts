// The values an OciSync's `${VAR}`s are replaced with (Flux postBuild,
// https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution), lowest first:
//   1. the site's built-ins, AIRLIFT_DNS_SUFFIX and AIRLIFT_DEFAULT_REGISTRY (site discovery or the operator's flags);
//   2. spec.substituteFrom's ConfigMaps and Secrets, of the OciSync's own namespace only, in order (a later one wins);
//   3. spec.substitute (inline values win, as in Flux).
// Substitution runs only when spec.substitute or spec.substituteFrom is set (a source with a literal `${...}` and
// neither keeps working). The ConfigMaps and Secrets are re-read at every period (one GET each, no watch), and a
// fingerprint of their resourceVersions tells the sync stage that a value changed, so the change reaches the next
// period's sync. Secret values are collected apart so every message the sync writes can be redacted.
import type { OciSync, SubstituteReference } from "../api/oci-sync.ts";
import { isNotFound } from "../kube/api-error.ts";
import { StallingError, WaitingError } from "../kube/errors.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { CONFIG_MAPS, objectPath } from "../kube/resource.ts";
import type { SecretReader } from "../kube/secrets.ts";
import type { OperatorDefaults } from "./defaults.ts";

/** The built-in variables and where their values come from. */
export const BUILTIN_VARIABLES = {
  /** The site's DNS suffix (ConfigMap gpc-system/dnssuffix, or --dns-suffix). */
  dnsSuffix: "AIRLIFT_DNS_SUFFIX",
  /** The default registry host (discovered Harbor, harbor.<suffix>, or --default-registry). */
  registry: "AIRLIFT_DEFAULT_REGISTRY",
} as const;

/** Flux's variable name rule: a key that is not a variable name is an error, not silently skipped. */
const VARIABLE_NAME = /^[_A-Za-z][_A-Za-z0-9]*$/;

/** The values of one sync. */
export interface SubstitutionValues {
  values: Record<string, string>;
  /** Values that came from Secrets: never written to status, events or logs (see redactSecrets). */
  secretValues: string[];
  /** Changes when an input does (resourceVersions and built-ins; never a Secret's value). */
  fingerprint: string;
}

/** What reading the values needs. */
export interface ValuesRequest {
  client: KubeClient;
  secrets: SecretReader;
  sync: OciSync;
  defaults: OperatorDefaults;
  signal?: AbortSignal;
}

/** The sync's values; undefined when it asks for no substitution. Throws SubstituteFromNotFound / SubstitutionFailed. */
export async function substitutionValues(request: ValuesRequest): Promise<SubstitutionValues | undefined> {
  const { spec } = request.sync;
  if (spec.substitute === undefined && spec.substituteFrom === undefined) return undefined;
  const { dnsSuffix, registry } = request.defaults;
  const values = builtins(request.defaults);
  const secretValues: string[] = [];
  const versions: string[] = [];
  for (const ref of spec.substituteFrom ?? []) {
    const read = (await readReference(request, ref)) ?? { resourceVersion: "absent", data: {} };
    versions.push(`${ref.kind}/${ref.name}@${read.resourceVersion}`);
    Object.assign(values, variables(request, ref, read.data));
    if (ref.kind === "Secret") secretValues.push(...Object.values(read.data));
  }
  Object.assign(values, spec.substitute);
  const fingerprint = JSON.stringify({ versions, dnsSuffix, registry });
  return { values, secretValues, fingerprint };
}

/** The built-in variables the site defines. */
function builtins(defaults: OperatorDefaults): Record<string, string> {
  const values: Record<string, string> = {};
  if (defaults.dnsSuffix) values[BUILTIN_VARIABLES.dnsSuffix] = defaults.dnsSuffix;
  if (defaults.registry) values[BUILTIN_VARIABLES.registry] = defaults.registry;
  return values;
}

/** The data of one ConfigMap or Secret, every key checked to be a variable name. */
function variables(
  request: ValuesRequest,
  ref: SubstituteReference,
  data: Record<string, string>,
): Record<string, string> {
  const bad = Object.keys(data).find((key) => !VARIABLE_NAME.test(key));
  if (bad !== undefined)
    throw new StallingError(
      "SubstitutionFailed",
      `spec.substituteFrom: ${ref.kind} ${request.sync.metadata.namespace ?? ""}/${ref.name} has key "${bad}", which is not a variable name ([_A-Za-z][_A-Za-z0-9]*); move it to another ${ref.kind}`,
    );
  return data;
}

interface Read {
  resourceVersion: string;
  data: Record<string, string>;
}

/** One ConfigMap or Secret of the sync's namespace; undefined when it is optional and missing. */
async function readReference(request: ValuesRequest, ref: SubstituteReference): Promise<Read | undefined> {
  const namespace = request.sync.metadata.namespace ?? "";
  try {
    if (ref.kind === "Secret") {
      // No namespace in the reference: the SecretReader keeps it in the OciSync's namespace.
      const secret = await request.secrets.secret(namespace, { name: ref.name }, request.signal);
      const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, v.toString("utf8")]));
      return { resourceVersion: secret.resourceVersion, data };
    }
    const cm = await request.client.request<{ metadata: { resourceVersion?: string }; data?: Record<string, string> }>(
      objectPath(CONFIG_MAPS, { namespace, name: ref.name }),
      { signal: request.signal, timeoutMs: 15_000 },
    );
    return { resourceVersion: cm.metadata.resourceVersion ?? "", data: cm.data ?? {} };
  } catch (err) {
    const missing = isNotFound(err) || (err instanceof WaitingError && err.reason === "SecretNotFound");
    if (!missing) throw err;
    if (ref.optional) return undefined;
    throw new StallingError(
      "SubstituteFromNotFound",
      `spec.substituteFrom names ${ref.kind} ${namespace}/${ref.name}, which does not exist: create it, or mark the entry optional: true`,
      { cause: err },
    );
  }
}

/** `text` with every Secret-sourced value replaced by `***` (values shorter than 4 characters are left: too common). */
export function redactSecrets(text: string, secretValues: readonly string[]): string {
  let out = text;
  for (const value of [...secretValues].sort((a, b) => b.length - a.length))
    if (value.length >= 4) out = out.split(value).join("***");
  return out;
}
