// The container images a set of rendered objects will make nodes pull: every container, init container and
// ephemeral container of Pods and of the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets,
// ReplicationControllers, Jobs and CronJobs. The image preflight checks them before a revision is applied, and can
// pin each to the digest it found (`image@sha256:...`) so every node runs exactly what was checked.
import type { Manifest } from "./identity.ts";

type Json = Record<string, unknown>;

/** Where the pod spec sits, by kind. */
const POD_SPEC_PATH: Readonly<Record<string, readonly string[]>> = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

/** One container's image, and where it was declared. */
export interface ImageUse {
  image: string;
  /** `Kind namespace/name` of the object. */
  object: string;
  container: string;
  /** The manifest's source (file and document). */
  source: string;
  /** The pod spec's imagePullSecrets names (the object's namespace). */
  pullSecrets: string[];
  namespace: string | undefined;
}

function isJson(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function podSpecOf(m: Manifest): Json | undefined {
  const path = POD_SPEC_PATH[m.object.kind];
  if (!path || !/^(v1|apps\/v1|batch\/v1|batch\/v1beta1)$/.test(m.object.apiVersion)) return undefined;
  let node: unknown = m.object;
  for (const key of path) node = isJson(node) ? node[key] : undefined;
  return isJson(node) ? node : undefined;
}

function containersOf(spec: Json): Json[] {
  return CONTAINER_LISTS.flatMap((list) => {
    const items = spec[list];
    return Array.isArray(items) ? items.filter(isJson) : [];
  });
}

function pullSecretsOf(spec: Json): string[] {
  const list = spec.imagePullSecrets;
  if (!Array.isArray(list)) return [];
  return list.flatMap((s) => (isJson(s) && typeof s.name === "string" ? [s.name] : []));
}

/** Every container image the objects declare, in document order. */
export function workloadImages(manifests: readonly Manifest[]): ImageUse[] {
  return manifests.flatMap((m) => {
    const spec = podSpecOf(m);
    if (!spec) return [];
    const namespace = m.object.metadata.namespace;
    const object = `${m.object.kind} ${namespace ? `${namespace}/` : ""}${m.object.metadata.name}`;
    return containersOf(spec).flatMap((c) =>
      typeof c.image === "string" && c.image !== ""
        ? [
            {
              image: c.image,
              object,
              container: typeof c.name === "string" ? c.name : "",
              source: m.source,
              pullSecrets: pullSecretsOf(spec),
              namespace,
            },
          ]
        : [],
    );
  });
}

/** `image` pinned to `digest`: the tag kept for readers, the digest deciding (`repo:tag@sha256:...`). */
export function pinnedImage(image: string, digest: string): string {
  const at = image.indexOf("@");
  return `${at < 0 ? image : image.slice(0, at)}@${digest}`;
}

/** Copies of the manifests with each container image found in `digests` pinned to it; others untouched. */
export function pinImages(manifests: readonly Manifest[], digests: ReadonlyMap<string, string>): Manifest[] {
  return manifests.map((m) => {
    if (!podSpecOf(m)) return m;
    const copy: Manifest = { ...m, object: structuredClone(m.object) };
    const spec = podSpecOf(copy);
    for (const c of spec ? containersOf(spec) : []) {
      const digest = typeof c.image === "string" ? digests.get(c.image) : undefined;
      if (digest && typeof c.image === "string") c.image = pinnedImage(c.image, digest);
    }
    return copy;
  });
}
