// Path rules of the extractor, as pure functions: an entry name must stay inside the root (no absolute paths,
// no ".." anywhere), a link target must resolve inside the root, and whiteout names are recognised per the
// OCI layer spec: https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
import { ExtractionRefusedError, quoteName } from "./errors.ts";

const OPAQUE_WHITEOUT = ".wh..wh..opq";
const WHITEOUT_PREFIX = ".wh.";

/**
 * The path segments of an entry name relative to the root ([] for the root itself). Refuses absolute names,
 * any ".." segment, NUL bytes and Windows drive or UNC forms, whatever they would resolve to.
 */
export function entrySegments(name: string): string[] {
  if (name.includes("\0"))
    throw new ExtractionRefusedError("PathTraversal", `entry ${quoteName(name)} has a NUL byte`, name);
  if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name) || name.startsWith("\\\\")) {
    throw new ExtractionRefusedError("PathTraversal", `entry ${quoteName(name)} is an absolute path`, name);
  }
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes(".."))
    throw new ExtractionRefusedError("PathTraversal", `entry ${quoteName(name)} leaves the extraction root`, name);
  return segments;
}

/**
 * Checks a symlink at `segments` pointing to `target`: relative targets only, and they must resolve inside the
 * root from the link's own folder, so following the link never leaves the root.
 */
export function checkSymlinkTarget(segments: readonly string[], target: string, name: string): void {
  if (target === "" || target.includes("\0") || target.startsWith("/")) {
    throw new ExtractionRefusedError(
      "SymlinkEscape",
      `symlink ${quoteName(name)} -> ${quoteName(target)} is absolute or empty`,
      name,
    );
  }
  const resolved = segments.slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (resolved.length === 0)
        throw new ExtractionRefusedError(
          "SymlinkEscape",
          `symlink ${quoteName(name)} -> ${quoteName(target)} escapes the root`,
          name,
        );
      resolved.pop();
    } else resolved.push(part);
  }
}

/** What a whiteout entry removes: "opaque" clears the folder's lower contents, "remove" deletes one name. */
export type Whiteout = { kind: "opaque"; dir: string[] } | { kind: "remove"; path: string[] };

/** The whiteout an entry stands for, or undefined for an ordinary entry. */
export function whiteoutOf(segments: readonly string[]): Whiteout | undefined {
  const base = segments[segments.length - 1];
  if (base === undefined || !base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = segments.slice(0, -1);
  if (base === OPAQUE_WHITEOUT) return { kind: "opaque", dir };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === "" || target === "." || target === "..") return undefined;
  return { kind: "remove", path: [...dir, target] };
}
