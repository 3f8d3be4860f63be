// The object schemas of one cluster, for checking a bundle before it is carried across the gap (`airlift vet`):
// the component schemas of the API server's OpenAPI v3 documents (/openapi/v3/<api|apis/group>/<version>, one per
// group-version, custom resources included) plus each kind's resource type from discovery (plural, namespaced),
// which the scope rules need. Read live from a cluster, or from a file exported earlier on the connected side.
// Descriptions are dropped: they are most of the bytes and no check reads them.
import { readFile, writeFile } from "node:fs/promises";
import { isNotFound } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { ResourceType } from "../kube/resource.ts";
import { Discovery } from "./discovery.ts";
import { splitApiVersion } from "./identity.ts";

/** The marker of an exported schema file. */
export const SCHEMA_FILE_KIND = "AirliftSchemas";

/** One JSON schema node as the OpenAPI documents hold it. */
export type SchemaNode = Record<string, unknown>;

/** The schemas and resource types of one cluster (or of the group-versions read so far). */
export interface SchemaSet {
  /** Component schemas by name (`io.k8s.api.apps.v1.Deployment`). */
  schemas: Record<string, SchemaNode>;
  /** Resource types of the kinds served. */
  resources: ResourceType[];
}

/** The file `airlift vet --export-schemas` writes. */
interface SchemaFile extends SchemaSet {
  kind: typeof SCHEMA_FILE_KIND;
  version: 1;
  /** The API server it was read from, for the user's information. */
  server: string;
  exported: string;
}

/** `group/version/Kind` of a schema, from its x-kubernetes-group-version-kind. */
export function gvkKey(apiVersion: string, kind: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return `${group}/${version}/${kind}`;
}

/** Schema names by `group/version/Kind`. */
export function kindIndex(schemas: Readonly<Record<string, SchemaNode>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    const gvks = schema["x-kubernetes-group-version-kind"];
    if (!Array.isArray(gvks)) continue;
    for (const g of gvks as { group?: string; version?: string; kind?: string }[])
      if (g.version && g.kind) out.set(`${g.group ?? ""}/${g.version}/${g.kind}`, name);
  }
  return out;
}

/** Removes every `description` (in place); returns the node. */
function stripDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) node.forEach(stripDescriptions);
  else if (node !== null && typeof node === "object") {
    const rec = node as Record<string, unknown>;
    if (typeof rec.description === "string") delete rec.description;
    Object.values(rec).forEach(stripDescriptions);
  }
  return node;
}

/** The OpenAPI v3 path of a group-version: `api/v1`, `apis/apps/v1`. */
function openApiPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Reads schemas and resource types from a live API server, one group-version at a time (each read once). */
export class LiveSchemas {
  readonly #client: KubeClient;
  readonly #discovery: Discovery;
  readonly #read = new Map<string, Promise<void>>();
  readonly set: SchemaSet = { schemas: {}, resources: [] };

  constructor(client: KubeClient) {
    this.#client = client;
    this.#discovery = new Discovery(client);
  }

  /** Makes sure the group-version of `apiVersion` is in `set` (a group-version the server lacks adds nothing). */
  async load(apiVersion: string, signal?: AbortSignal): Promise<void> {
    const path = openApiPath(apiVersion);
    let pending = this.#read.get(path);
    if (!pending) {
      pending = this.#readGroupVersion(path, signal);
      this.#read.set(path, pending);
    }
    await pending;
  }

  /** Reads every group-version the server publishes. */
  async loadAll(signal?: AbortSignal): Promise<void> {
    const index = await this.#client.request<{ paths?: Record<string, unknown> }>("/openapi/v3", { signal });
    const paths = Object.keys(index.paths ?? {}).filter((p) => /^(api\/v\w+|apis\/[^/]+\/v\w+)$/.test(p));
    for (const p of paths) await this.load(p.startsWith("api/") ? p.slice(4) : p.slice(5), signal);
  }

  async #readGroupVersion(path: string, signal: AbortSignal | undefined): Promise<void> {
    const schemas = await this.#fetch(path, signal);
    for (const [name, schema] of Object.entries(schemas))
      this.set.schemas[name] = stripDescriptions(schema) as SchemaNode;
    const known = new Set(this.set.resources.map((r) => `${r.group}/${r.version}/${r.kind}`));
    for (const key of kindIndex(schemas).keys()) {
      const [group = "", version = "", kind = ""] = key.split("/");
      const apiVersion = group ? `${group}/${version}` : version;
      // meta types (DeleteOptions, WatchEvent) name every group-version: only this document's kinds count.
      if (known.has(key) || openApiPath(apiVersion) !== path) continue;
      known.add(key);
      const type = await this.#discovery.lookup(apiVersion, kind, signal);
      if (type) this.set.resources.push(type);
    }
  }

  /** The component schemas of one OpenAPI v3 document ({} when the server has no such group-version). */
  async #fetch(path: string, signal: AbortSignal | undefined): Promise<Record<string, SchemaNode>> {
    try {
      const doc = await this.#client.request<{ components?: { schemas?: Record<string, SchemaNode> } }>(
        `/openapi/v3/${path}`,
        { signal, timeoutMs: 60_000 },
      );
      return doc.components?.schemas ?? {};
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
  }
}

/** Writes `set` as an exported schema file. */
export async function writeSchemaFile(path: string, set: SchemaSet, server: string): Promise<void> {
  const file: SchemaFile = { kind: SCHEMA_FILE_KIND, version: 1, server, exported: new Date().toISOString(), ...set };
  await writeFile(path, JSON.stringify(file));
}

/** Reads an exported schema file; throws an Error saying what is wrong with it. */
export async function readSchemaFile(path: string): Promise<SchemaSet & { server: string }> {
  const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<SchemaFile> | null;
  if (parsed?.kind !== SCHEMA_FILE_KIND || parsed.version !== 1 || !parsed.schemas || !Array.isArray(parsed.resources))
    throw new Error(`${path} is not a schema file written by \`airlift vet --export-schemas\``);
  return { schemas: parsed.schemas, resources: parsed.resources, server: parsed.server ?? "" };
}
