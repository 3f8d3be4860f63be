// Flags `airlift import` and `airlift pull` share: S3 connection (AWS_* conventions), registry auth and TLS, and
// the exit codes that tell failure kinds apart.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { basicCredentials, dockerConfigCredentials, type CredentialProvider } from "../oci/docker-config.ts";
import { createS3Client, type S3ConnectionConfig } from "../storage/s3-client.ts";
import type { S3Client } from "@aws-sdk/client-s3";
import type { TransferReason } from "../transfer/errors.ts";
import { UsageError } from "./command.ts";

export const TRANSFER_FLAGS_USAGE = `S3 (for s3://bucket/key sources and destinations):
  --s3-endpoint URL          [AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL]; keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  --s3-region REGION         [AWS_REGION] (default us-east-1)
  --s3-virtual-host          virtual-hosted-style addressing (default: path-style, as on-premises stores need)
Registry:
  --username USER --password-stdin   basic credentials; otherwise the Docker config at $DOCKER_CONFIG/config.json
  --ca-file PEM              trust this CA bundle too
  --insecure                 skip TLS certificate verification
  --plain-http               talk HTTP to the registry
Output:
  --progress auto|bar|plain|none   (default auto: a bar on a TTY, plain lines otherwise)
  --json                     print the result as JSON
Exit codes: 0 ok, 1 other failure, 2 usage, 3 source not found / access denied, 4 invalid archive / digest mismatch,
  5 registry or authentication failure, 6 extraction refused, 7 source or registry unavailable (retry later)`;

export const TRANSFER_OPTIONS = {
  "s3-endpoint": { type: "string" },
  "s3-region": { type: "string" },
  "s3-virtual-host": { type: "boolean" },
  username: { type: "string" },
  "password-stdin": { type: "boolean" },
  "ca-file": { type: "string" },
  insecure: { type: "boolean" },
  "plain-http": { type: "boolean" },
  progress: { type: "string", default: "auto" },
  json: { type: "boolean" },
} as const;

export interface TransferFlags {
  "s3-endpoint"?: string | undefined;
  "s3-region"?: string | undefined;
  "s3-virtual-host"?: boolean | undefined;
  username?: string | undefined;
  "password-stdin"?: boolean | undefined;
  "ca-file"?: string | undefined;
  insecure?: boolean | undefined;
  "plain-http"?: boolean | undefined;
}

/** Exit code per failure kind. */
export function exitCodeFor(reason: TransferReason): number {
  switch (reason) {
    case "SourceNotFound":
    case "AccessDenied":
      return 3;
    case "InvalidArchive":
    case "DigestMismatch":
    case "UnsupportedMediaType":
      return 4;
    case "Unauthorized":
    case "RepositoryNotFound":
    case "UntrustedCertificate":
    case "InvalidDestination":
    case "InvalidReference":
    case "NoMatchingTag":
      return 5;
    case "ExtractionRefused":
      return 6;
    case "RegistryUnavailable":
    case "SourceUnavailable":
    case "SourceChanged":
      return 7;
    default:
      return 1;
  }
}

/** `s3://bucket/key` → parts, or undefined for a local path. */
export function parseS3Url(text: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
  return match ? { bucket: match[1] ?? "", key: match[2] ?? "" } : undefined;
}

/** An S3 client from flags and the AWS_* environment. */
export function s3ClientFrom(flags: TransferFlags, env: NodeJS.ProcessEnv): S3Client {
  const endpoint = flags["s3-endpoint"] ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new UsageError("an s3:// location needs --s3-endpoint (or AWS_ENDPOINT_URL_S3)");
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new UsageError("an s3:// location needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  const config: S3ConnectionConfig = {
    endpoint,
    region: flags["s3-region"] ?? env.AWS_REGION ?? "us-east-1",
    forcePathStyle: !flags["s3-virtual-host"],
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
  return createS3Client(config);
}

/** Registry TLS and credentials from flags (and the Docker config). */
export async function registryConnection(
  flags: TransferFlags,
  env: NodeJS.ProcessEnv,
  registry: string,
  stdin: () => Promise<string>,
): Promise<{ plainHttp?: boolean; caPem?: string; insecureSkipTLSVerify?: boolean; credentials?: CredentialProvider }> {
  let credentials: CredentialProvider | undefined;
  if (flags.username) {
    if (!flags["password-stdin"]) throw new UsageError("--username needs --password-stdin");
    credentials = basicCredentials(registry, flags.username, (await stdin()).replace(/\r?\n$/, ""));
  } else {
    const path = join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
    try {
      credentials = dockerConfigCredentials(readFileSync(path));
    } catch {
      credentials = undefined; // no Docker config: anonymous
    }
  }
  return {
    ...(flags["plain-http"] ? { plainHttp: true } : {}),
    ...(flags["ca-file"] ? { caPem: readFileSync(flags["ca-file"], "utf8") } : {}),
    ...(flags.insecure ? { insecureSkipTLSVerify: true } : {}),
    ...(credentials ? { credentials } : {}),
  };
}

/** Reads all of standard input. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
