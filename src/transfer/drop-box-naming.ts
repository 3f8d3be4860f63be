// A drop-box's naming template: the repository an archive's images go to, from the archive's key instead of its
// RepoTags (`mirror/{dir}/{name}` puts `g/team/app.tar.gz` under `mirror/team/app`). `{name}` is the file name
// without .tar / .tar.gz / .tgz, `{dir}` its folder below the prefix ("" at the top, with the slash next to it
// dropped); both lowercased, with characters a repository cannot hold turned into "-". The tags stay the archive's.
import { DestinationPlanError, type DestinationSpec } from "./destinations.ts";

const EXTENSION = /\.(tar\.gz|tgz|tar)$/i;

function clean(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9._/-]+/g, "-")
    .replace(/^[-._]+|[-._]+$/g, "");
}

/** The repository `template` names for the archive `name` (its key relative to the prefix). */
export function templateRepository(template: string, name: string): string {
  const slash = name.lastIndexOf("/");
  const dir = slash < 0 ? "" : name.slice(0, slash);
  const file = clean((slash < 0 ? name : name.slice(slash + 1)).replace(EXTENSION, ""));
  const repository = template
    .replaceAll("{dir}", clean(dir))
    .replaceAll("{name}", file)
    .replace(/\/{2,}/g, "/")
    .replace(/^\/|\/$/g, "");
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository))
    throw new DestinationPlanError(
      `the naming template "${template}" makes "${repository}" of ${name}, which is not a repository name: rename the archive or change the template`,
    );
  return repository;
}

/** The destination of one archive: `registry` and the template's repository, the archive's own tags. */
export function templateDestination(registry: string, template: string, name: string): DestinationSpec {
  return { registry, repository: templateRepository(template, name) };
}
