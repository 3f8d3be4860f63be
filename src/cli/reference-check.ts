// A reference typed on the command line, checked before any network I/O, with every problem named: the parser in
// src/oci/reference.ts stops at the first rule broken and says only which ("bad tag"), which is right for the
// engine but not enough for a person who has to fix `harbor..example.com/x:`. A reference without a registry host
// takes the configured default registry, or is refused: the parser's docker.io default never applies to what a
// person typed here. Pure, tested beside.
import { hasRegistryHost, parseReference, type Reference } from "../oci/reference.ts";
import { CliError, EXIT_USAGE, UsageError } from "./command.ts";

const TAG = /^\w[\w.-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const LABEL = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

function digestProblem(digest: string): string | undefined {
  if (/^sha256:[a-f0-9]{64}$/.test(digest) || /^sha512:[a-f0-9]{128}$/.test(digest)) return undefined;
  return `the digest after "@" must be sha256: and 64 lowercase hex digits, got "${digest}"`;
}

function tagProblem(tag: string): string | undefined {
  if (tag === "") return 'the tag after ":" is empty (write :TAG, or drop the ":" for :latest)';
  if (!TAG.test(tag))
    return `the tag "${tag}" may hold only letters, digits, "_", "." and "-", must not start with "." or "-", and is at most 128 characters`;
  return undefined;
}

/** What is wrong with a registry host (`host[:port]`), if anything. */
export function hostProblem(host: string): string | undefined {
  if (host.startsWith("[")) return undefined; // IPv6 literal: the parser checks it
  const [name = "", port, ...extra] = host.split(":");
  if (extra.length > 0 || (port !== undefined && !/^\d{1,5}$/.test(port)))
    return `the registry host "${host}" has a bad port: write host:PORT with a number`;
  const labels = name.split(".");
  if (labels.some((l) => l === ""))
    return `the registry host "${host}" has an empty label (".." or a "." at either end)`;
  const bad = labels.find((l) => !LABEL.test(l));
  return bad === undefined
    ? undefined
    : `the registry host "${host}" has a label "${bad}" with characters other than letters, digits and inner "-"`;
}

function repositoryProblem(repository: string): string | undefined {
  if (repository === "") return "the repository is missing: write registry/repository:tag";
  const parts = repository.split("/");
  if (parts.some((p) => p === ""))
    return `the repository "${repository}" has an empty path component ("//" or a trailing "/")`;
  if (repository !== repository.toLowerCase()) return `the repository "${repository}" must be lowercase`;
  const bad = parts.find((p) => !COMPONENT.test(p));
  return bad === undefined
    ? undefined
    : `the repository component "${bad}" may hold only a-z, 0-9 and single ".", "_", "__" or "-" between them`;
}

/** The parts of a reference as written: name, then ":tag" (after the last "/"), then "@digest". */
function split(text: string): { name: string; tag?: string; digest?: string } {
  const at = text.indexOf("@");
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  const rest = at >= 0 ? text.slice(0, at) : text;
  const colon = rest.lastIndexOf(":");
  if (colon <= rest.lastIndexOf("/")) return { name: rest, digest };
  return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
}

/** Host and repository problems of the name part (a first component with "." or ":", or localhost, is a host). */
function nameProblems(name: string): (string | undefined)[] {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  if (!(first.includes(".") || first.includes(":") || first === "localhost")) return [repositoryProblem(name)];
  return [hostProblem(first), repositoryProblem(name.slice(slash + 1))];
}

/** Every problem of `text` as a reference, empty when there is none the checks know of. */
export function referenceProblems(text: string): string[] {
  if (text.trim() === "") return ["it is empty"];
  if (/\s/.test(text)) return ["it contains a space"];
  const { name, tag, digest } = split(text);
  const problems = [
    digest === undefined ? undefined : digestProblem(digest),
    tag === undefined ? undefined : tagProblem(tag),
    ...nameProblems(name),
  ];
  return problems.filter((p): p is string => p !== undefined);
}

/** `text` with `defaultRegistry` in front when it names no registry host; one line (exit 2) when there is none. */
export function withRegistry(text: string, what: string, defaultRegistry: string | undefined): string {
  if (hasRegistryHost(text)) return text;
  if (defaultRegistry !== undefined) return `${defaultRegistry}/${text}`;
  throw new CliError(
    `${what} "${text}" has no registry host: write harbor.example.com/${text}, or set --default-registry / AIRLIFT_DEFAULT_REGISTRY`,
    EXIT_USAGE,
  );
}

/**
 * Parses a reference given as `what` (e.g. "destination"), or throws a UsageError naming every problem. A
 * reference without a registry host is put under `defaultRegistry`, or refused when there is none.
 */
export function checkReference(text: string, what: string, defaultRegistry?: string): Reference {
  const problems = referenceProblems(text);
  if (problems.length > 0) throw new UsageError(`invalid ${what} "${text}": ${problems.join("; ")}`);
  const qualified = withRegistry(text, what, defaultRegistry);
  try {
    return parseReference(qualified);
  } catch (err) {
    throw new UsageError(
      `invalid ${what} "${text}": ${(err as Error).message.replace(/^invalid reference "[^"]*": /, "")}`,
    );
  }
}
