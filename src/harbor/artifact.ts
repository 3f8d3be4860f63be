/**
 * Harbor's v2.0 `Artifact` and `Tag` as this client uses them, and the one place their JSON is narrowed.
 * Shapes: goharbor/harbor api/v2.0/swagger.yaml, definitions `Artifact`, `Tag`, `Reference`.
 * Fields the client does not use are not kept; fields it uses are checked and a wrong shape fails loudly.
 */
import { HarborResponseShapeError } from "./errors.ts";

/** One tag of an artifact; `pushTime` is when this tag was last pushed (moved), not the artifact. */
export interface HarborTag {
  id?: number;
  name: string;
  /** ISO 8601 as Harbor sent it. */
  pushTime: string;
  pullTime?: string;
  immutable?: boolean;
}

/** A child of an index artifact (a platform manifest of a multi-arch image). */
export interface HarborReference {
  childDigest: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/**
 * An accessory of an artifact (Harbor 2.5+): a cosign signature, notation signature, SBOM or any manifest whose
 * `subject` is the artifact. Harbor leaves accessories out of the artifact list and names them here instead.
 */
export interface HarborAccessory {
  digest: string;
  /** The artifact it refers to. */
  subjectDigest: string;
  /** `signature.cosign`, `signature.notation`, `sbom.harbor`, `subject.accessory`, ... */
  type: string;
}

/** One artifact (manifest or index) of a repository. */
export interface HarborArtifact {
  id: number;
  digest: string;
  /** Harbor's classification: `IMAGE`, `CHART`, `CNAB`, `UNKNOWN`, ... */
  type: string;
  /** The config media type (Harbor's `media_type`). */
  mediaType: string;
  manifestMediaType: string;
  /** The manifest's `artifactType` (Harbor 2.10+), when Harbor sent one. */
  artifactType?: string;
  projectId?: number;
  repositoryId?: number;
  size: number;
  pushTime: string;
  pullTime?: string;
  tags: HarborTag[];
  references: HarborReference[];
  /** Sent with `with_accessory=true`; empty otherwise. */
  accessories: HarborAccessory[];
  annotations: Record<string, string>;
}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(where: string, field: string, expected: string): never {
  throw new HarborResponseShapeError(`unexpected Harbor response: ${where}.${field} is not ${expected}`);
}

function str(obj: Json, field: string, where: string): string {
  const value = obj[field];
  if (typeof value !== "string") fail(where, field, "a string");
  return value;
}

function optStr(obj: Json, field: string, where: string): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") fail(where, field, "a string");
  return value;
}

function num(obj: Json, field: string, where: string): number {
  const value = obj[field];
  if (typeof value !== "number" || !Number.isFinite(value)) fail(where, field, "a number");
  return value;
}

function optNum(obj: Json, field: string, where: string): number | undefined {
  return obj[field] === undefined || obj[field] === null ? undefined : num(obj, field, where);
}

function time(obj: Json, field: string, where: string): string {
  const value = str(obj, field, where);
  if (Number.isNaN(Date.parse(value))) fail(where, field, "a date-time");
  return value;
}

/** Harbor sends `null` rather than `[]` for an artifact without tags or references. */
function list(obj: Json, field: string, where: string): unknown[] {
  const value = obj[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, field, "an array");
  return value;
}

function narrowTag(value: unknown, where: string): HarborTag {
  if (!isObject(value)) throw new HarborResponseShapeError(`unexpected Harbor response: ${where} is not an object`);
  const tag: HarborTag = { name: str(value, "name", where), pushTime: time(value, "push_time", where) };
  const id = optNum(value, "id", where);
  if (id !== undefined) tag.id = id;
  const pullTime = optStr(value, "pull_time", where);
  if (pullTime !== undefined) tag.pullTime = pullTime;
  if (typeof value.immutable === "boolean") tag.immutable = value.immutable;
  return tag;
}

function narrowReference(value: unknown, where: string): HarborReference {
  if (!isObject(value)) throw new HarborResponseShapeError(`unexpected Harbor response: ${where} is not an object`);
  const ref: HarborReference = { childDigest: str(value, "child_digest", where) };
  const platform = value.platform;
  if (isObject(platform)) {
    ref.platform = {};
    for (const key of ["os", "architecture", "variant"] as const) {
      const v = platform[key];
      if (typeof v === "string") ref.platform[key] = v;
    }
  }
  return ref;
}

function narrowAccessory(value: unknown, where: string): HarborAccessory {
  if (!isObject(value)) throw new HarborResponseShapeError(`unexpected Harbor response: ${where} is not an object`);
  const digest = str(value, "digest", where);
  if (!DIGEST.test(digest)) fail(where, "digest", "a digest");
  return {
    digest,
    subjectDigest: optStr(value, "subject_artifact_digest", where) ?? "",
    type: optStr(value, "type", where) ?? "",
  };
}

function narrowAnnotations(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Narrows one element of the artifact list; throws HarborResponseShapeError naming the first bad field. */
export function narrowArtifact(value: unknown, index: number): HarborArtifact {
  const where = `artifacts[${index}]`;
  if (!isObject(value)) throw new HarborResponseShapeError(`unexpected Harbor response: ${where} is not an object`);
  const digest = str(value, "digest", where);
  if (!DIGEST.test(digest)) fail(where, "digest", "a digest");
  const artifact: HarborArtifact = {
    id: num(value, "id", where),
    digest,
    type: optStr(value, "type", where) ?? "UNKNOWN",
    mediaType: optStr(value, "media_type", where) ?? "",
    manifestMediaType: str(value, "manifest_media_type", where),
    size: num(value, "size", where),
    pushTime: time(value, "push_time", where),
    tags: list(value, "tags", where).map((t, i) => narrowTag(t, `${where}.tags[${i}]`)),
    references: list(value, "references", where).map((r, i) => narrowReference(r, `${where}.references[${i}]`)),
    accessories: list(value, "accessories", where).map((a, i) => narrowAccessory(a, `${where}.accessories[${i}]`)),
    annotations: narrowAnnotations(value.annotations),
  };
  const artifactType = optStr(value, "artifact_type", where);
  if (artifactType !== undefined) artifact.artifactType = artifactType;
  const projectId = optNum(value, "project_id", where);
  if (projectId !== undefined) artifact.projectId = projectId;
  const repositoryId = optNum(value, "repository_id", where);
  if (repositoryId !== undefined) artifact.repositoryId = repositoryId;
  const pullTime = optStr(value, "pull_time", where);
  if (pullTime !== undefined) artifact.pullTime = pullTime;
  return artifact;
}

/** Narrows a whole page: a JSON array of artifacts. */
export function narrowArtifactPage(doc: unknown): HarborArtifact[] {
  if (!Array.isArray(doc))
    throw new HarborResponseShapeError("unexpected Harbor response: the artifact list is not a JSON array");
  return doc.map((a, i) => narrowArtifact(a, i));
}
