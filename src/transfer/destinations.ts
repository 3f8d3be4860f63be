// Where each image of an archive goes: explicit tags, a per-image selection and rename, or the archive's own
// RepoTags rewritten onto the destination registry and project (what `docker load` + `docker tag` did by hand).

/** One image of the archive as the planner sees it. */
export interface ArchiveImageNames {
  /** Position in the archive (0-based). */
  index: number;
  /** RepoTags / ref names the archive gives it, e.g. `oracle_db:latest` or `docker.io/library/nginx:1.25`. */
  names: readonly string[];
}

/** Spec of the destination (ImageImport.spec.destination, or the CLI's arguments). */
export interface DestinationSpec {
  /** host[:port] of the destination registry. */
  registry: string;
  /** Repository for a single-image archive (e.g. `project/app`). */
  repository?: string;
  /** Tags for `repository`; when absent the archive's own tags are kept. */
  tags?: readonly string[];
  /** Keep the archive's RepoTags, put under this repository prefix (a Harbor project). */
  repositoryPrefix?: string;
}

/** Select and rename entries of a multi-image archive. */
export interface ImageSelection {
  /** A RepoTag of the archive (`nginx:1.25`) or an index (`0`, `#0`). */
  source: string;
  repository?: string;
  tags?: readonly string[];
}

export interface DestinationTarget {
  registry: string;
  repository: string;
  tag: string;
}

export interface ImagePlan {
  index: number;
  /** How the user knows the image: its first name, or `#<index>`. */
  source: string;
  targets: DestinationTarget[];
}

/** A plan that cannot be made from this spec and archive; the message says what to change. */
export class DestinationPlanError extends Error {
  readonly code = "InvalidDestination";
}

const tagPattern = /^[\w][\w.-]{0,127}$/;
const repositoryPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Splits `host:port/path/name:tag` into the path without a registry host and the tag (default `latest`). */
export function splitRepoTag(name: string): { path: string; tag: string } {
  let rest = name.split("@")[0] ?? name;
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) rest = rest.slice(slash + 1);
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > rest.lastIndexOf("/");
  return { path: hasTag ? rest.slice(0, colon) : rest, tag: hasTag ? rest.slice(colon + 1) : "latest" };
}

function joinRepository(prefix: string | undefined, path: string): string {
  const cleaned = prefix?.replace(/^\/+|\/+$/g, "");
  return cleaned ? `${cleaned}/${path}` : path;
}

function checkTarget(target: DestinationTarget): DestinationTarget {
  if (!repositoryPattern.test(target.repository)) {
    throw new DestinationPlanError(
      `invalid destination repository "${target.repository}": lowercase letters, digits and separators only`,
    );
  }
  if (!tagPattern.test(target.tag)) throw new DestinationPlanError(`invalid destination tag "${target.tag}"`);
  return target;
}

function findImage(images: readonly ArchiveImageNames[], source: string): ArchiveImageNames {
  const byIndex = /^#?(\d+)$/.exec(source);
  if (byIndex) {
    const found = images.find((image) => image.index === Number(byIndex[1]));
    if (found) return found;
  }
  const wanted = splitRepoTag(source);
  const found = images.find((image) =>
    image.names.some((name) => {
      const have = splitRepoTag(name);
      return have.path === wanted.path && have.tag === wanted.tag;
    }),
  );
  if (!found) {
    const known = images.flatMap((image) => (image.names.length ? image.names : [`#${image.index}`])).join(", ");
    throw new DestinationPlanError(
      `images[].source "${source}" is not in the archive (it holds: ${known || "no named images"})`,
    );
  }
  return found;
}

function keptNames(image: ArchiveImageNames, spec: DestinationSpec): DestinationTarget[] {
  if (image.names.length === 0) {
    throw new DestinationPlanError(
      `image #${image.index} of the archive has no RepoTags: give destination tags or name it in images[]`,
    );
  }
  return image.names.map((name) => {
    const { path, tag } = splitRepoTag(name);
    return { registry: spec.registry, repository: joinRepository(spec.repositoryPrefix, path), tag };
  });
}

function explicitTargets(repository: string, tags: readonly string[], registry: string): DestinationTarget[] {
  if (tags.length === 0) throw new DestinationPlanError(`no tags given for ${repository}`);
  return tags.map((tag) => ({ registry, repository, tag }));
}

/**
 * A selected image: under `selection.repository` (a full path in the registry) with its tags or the image's own; or,
 * without a repository, under its own RepoTags rewritten onto the destination, with `selection.tags` if given.
 */
function selectionTargets(
  image: ArchiveImageNames,
  selection: ImageSelection,
  spec: DestinationSpec,
): DestinationTarget[] {
  if (selection.repository) {
    const tags = selection.tags ?? image.names.map((name) => splitRepoTag(name).tag);
    if (tags.length === 0)
      throw new DestinationPlanError(`images[] entry "${selection.source}" needs tags: the image has no RepoTags`);
    return explicitTargets(selection.repository, tags, spec.registry);
  }
  const kept = keptNames(image, spec);
  if (!selection.tags) return kept;
  const repositories = [...new Set(kept.map((t) => t.repository))];
  return repositories.flatMap((repository) => explicitTargets(repository, selection.tags ?? [], spec.registry));
}

/** One plan per image pushed: the selected ones, the single image under `spec.repository`, or all under their RepoTags. */
function plansOf(
  images: readonly ArchiveImageNames[],
  spec: DestinationSpec,
  selections: readonly ImageSelection[],
): ImagePlan[] {
  if (selections.length > 0) {
    return selections.map((selection) => {
      const image = findImage(images, selection.source);
      return { index: image.index, source: selection.source, targets: selectionTargets(image, selection, spec) };
    });
  }
  if (!spec.repository)
    return images.map((image) => ({
      index: image.index,
      source: image.names[0] ?? `#${image.index}`,
      targets: keptNames(image, spec),
    }));
  if (images.length > 1) {
    throw new DestinationPlanError(
      `the archive holds ${images.length} images: use images[] to choose and name them, or a repositoryPrefix to keep their RepoTags`,
    );
  }
  const image = images[0] as ArchiveImageNames;
  const tags = spec.tags ?? ownTags(image, spec);
  return [
    {
      index: image.index,
      source: image.names[0] ?? "#0",
      targets: explicitTargets(spec.repository, tags, spec.registry),
    },
  ];
}

/**
 * The image's own tags under a repository named for it (a drop-box's naming template): a name without "/" and ":" is
 * an OCI ref name holding the tag alone (what `skopeo copy ... oci-archive:x.tar:1.0` writes), not a repository.
 */
function ownTags(image: ArchiveImageNames, spec: DestinationSpec): string[] {
  const tagOnly = image.names.filter((n) => !n.includes("/") && !n.includes(":"));
  return tagOnly.length > 0 ? tagOnly : keptNames(image, spec).map((t) => t.tag);
}

/** Validates every target and refuses one reference pushed by two images. */
function checkPlans(plans: readonly ImagePlan[]): void {
  const seen = new Map<string, string>();
  for (const plan of plans) {
    for (const target of plan.targets) {
      checkTarget(target);
      const key = `${target.repository}:${target.tag}`;
      const other = seen.get(key);
      if (other !== undefined && other !== plan.source) {
        throw new DestinationPlanError(`${key} would be pushed by two images (${other} and ${plan.source})`);
      }
      seen.set(key, plan.source);
    }
  }
}

/** Plans the references each image is pushed under; every target is validated, duplicates are refused. */
export function planDestinations(
  images: readonly ArchiveImageNames[],
  spec: DestinationSpec,
  selections: readonly ImageSelection[] = [],
): ImagePlan[] {
  if (images.length === 0) throw new DestinationPlanError("the archive holds no image");
  const plans = plansOf(images, spec, selections);
  checkPlans(plans);
  return plans;
}
