// spec.validation: Schema. Before any object of a revision is applied, each one is checked in the operator against
// the cluster's own OpenAPI v3 schemas (schema-set.ts, read once per group-version per sync; the revision's CRDs add
// their kinds) as kubectl's strict field validation does: unknown fields, wrong types, values outside an enum,
// missing required fields. A refusal applies nothing, as the server dry-run does (validate.ts), but without a request
// per object: at 10,000 objects the dry-run is half of a first sync's requests. What a schema cannot say (admission
// webhooks and policies, the server's own rules such as label syntax, immutable fields) the apply itself judges, one
// object at a time.
import type { KubeClient } from "../kube/rest-client.ts";
import { SyncError } from "./errors.ts";
import { describeIdentity, type Manifest } from "./identity.ts";
import { createOnlyBy } from "./ownership.ts";
import { LiveSchemas } from "./schema-set.ts";
import { SchemaValidator, type SchemaFinding } from "./schema-validate.ts";
import type { ResolvedObject } from "./scope.ts";

/** Findings named per object; the rest are counted. */
const FINDINGS_SHOWN = 3;

/** Checks stages of one revision against one cluster's schemas; the group-versions are read as the stages need them. */
export class SchemaCheck {
  readonly #live: LiveSchemas;
  readonly #bundle: readonly Manifest[];
  #validator: SchemaValidator | undefined;
  #loaded = 0;

  /** `bundle`: the whole revision, whose CRDs define kinds the cluster may not serve yet. */
  constructor(client: KubeClient, bundle: readonly Manifest[]) {
    this.#live = new LiveSchemas(client);
    this.#bundle = bundle;
  }

  /** One ValidationFailed error per object whose body the schemas refuse, in input order. */
  async refusals(objects: readonly ResolvedObject[], signal?: AbortSignal): Promise<SyncError[]> {
    const checked = objects.filter((o) => createOnlyBy(o.manifest.object.metadata.annotations) === undefined);
    for (const v of new Set(checked.map((o) => o.manifest.object.apiVersion))) await this.#live.load(v, signal);
    const validator = this.#current();
    const out: SyncError[] = [];
    for (const o of checked) {
      const findings = validator.validate(o.manifest.object);
      if (findings.length > 0) out.push(refusal(o, findings));
    }
    return out;
  }

  /** The validator over every schema read so far (rebuilt only when a stage read new ones). */
  #current(): SchemaValidator {
    const count = Object.keys(this.#live.set.schemas).length;
    if (!this.#validator || count !== this.#loaded) {
      this.#validator = new SchemaValidator(this.#live.set, this.#bundle);
      this.#loaded = count;
    }
    return this.#validator;
  }
}

function refusal(o: ResolvedObject, findings: readonly SchemaFinding[]): SyncError {
  const shown = findings.slice(0, FINDINGS_SHOWN).map((f) => f.message); // each names its field
  const more = findings.length > FINDINGS_SHOWN ? ` (and ${findings.length - FINDINGS_SHOWN} more)` : "";
  return new SyncError(
    "ValidationFailed",
    `failed to validate ${describeIdentity(o.identity)} against the cluster's schema: ${shown.join("; ")}${more} (from ${o.manifest.source})`,
    [o.identity],
  );
}
