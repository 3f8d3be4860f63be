// The places `import` and `pull` read from and write to, checked before any network I/O: an s3:// URL must name a
// well-formed bucket and a key (or prefix), and a local archive must be a readable file. A missing archive is exit
// code 3 (source not found), as the help promises, not a raw ENOENT.
import { accessSync, constants, statSync } from "node:fs";
import { CliError, UsageError } from "./command.ts";

/** Exit code of a source that is not there or not readable. */
const EXIT_SOURCE_NOT_FOUND = 3;

/** An s3:// location. */
export interface S3Location {
  bucket: string;
  key: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What is wrong with a bucket name, or undefined. */
export function bucketProblem(bucket: string): string | undefined {
  if (bucket === "") return "the bucket name is missing: write s3://bucket/key";
  if (!BUCKET.test(bucket))
    return `the bucket name "${bucket}" must be 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit`;
  if (bucket.includes("..")) return `the bucket name "${bucket}" has ".."`;
  return undefined;
}

function keyProblem({ bucket, key }: S3Location, what: "archive" | "destination"): string | undefined {
  if (what === "archive" && (key === "" || key.endsWith("/")))
    return `name the archive object after the bucket, e.g. s3://${bucket}/images/app.tar`;
  if (what === "destination" && key.replace(/\/+$/, "") === "")
    return `name a prefix after the bucket, e.g. s3://${bucket}/artifacts/app`;
  return undefined;
}

/**
 * `s3://bucket/key` as parts, or undefined for a local path. `what` names the key in messages: an archive needs an
 * object key (not a "folder" ending in "/"), a pull destination a prefix.
 */
export function parseS3Location(text: string, what: "archive" | "destination"): S3Location | undefined {
  if (!/^s3:/i.test(text)) return undefined;
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(text);
  if (!match)
    throw new UsageError(`invalid S3 URL "${text}": write s3://bucket/${what === "archive" ? "key" : "prefix"}`);
  const location = { bucket: match[1] ?? "", key: match[2] ?? "" };
  const problem = bucketProblem(location.bucket) ?? keyProblem(location, what);
  if (problem) throw new UsageError(`invalid S3 URL "${text}": ${problem}`);
  return location;
}

/** Throws (exit 3) when `path` is not a readable regular file. */
export function checkLocalArchive(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      throw new CliError(
        `archive ${path} does not exist: give the path of a docker save / OCI archive, or s3://bucket/key`,
        EXIT_SOURCE_NOT_FOUND,
      );
    throw new CliError(
      `cannot read archive ${path} (${code ?? String(err)}): check its permissions`,
      EXIT_SOURCE_NOT_FOUND,
    );
  }
  if (!isFile)
    throw new CliError(`archive ${path} is not a file: give the .tar (or .tar.gz) itself`, EXIT_SOURCE_NOT_FOUND);
}
