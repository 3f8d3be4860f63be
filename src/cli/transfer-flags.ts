// Flags `airlift import` and `airlift pull` share: S3 connection (AWS_* conventions), registry auth and TLS, and
// the exit codes that tell failure kinds apart.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { checkRegistryCredentials, type RegistryConnection, type RegistryCredentials } from "../transfer/connection.ts";
import type { TransferReason } from "../transfer/errors.ts";
import type { S3Connection } from "../transfer/s3-connection.ts";
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

/** Exit code per failure kind (the usage text lists them); 1 for any other. */
const EXIT_CODES: Partial<Record<TransferReason, number>> = {
  SourceNotFound: 3,
  AccessDenied: 3,
  InvalidArchive: 4,
  DigestMismatch: 4,
  UnsupportedMediaType: 4,
  Unauthorized: 5,
  RepositoryNotFound: 5,
  UntrustedCertificate: 5,
  InvalidDestination: 5,
  InvalidReference: 5,
  NoMatchingTag: 5,
  // A platform the index lacks was an InvalidReference before it had a reason of its own.
  PlatformNotFound: 5,
  ExtractionRefused: 6,
  RegistryUnavailable: 7,
  SourceUnavailable: 7,
  SourceChanged: 7,
};

/** Exit code per failure kind. */
export function exitCodeFor(reason: TransferReason): number {
  return EXIT_CODES[reason] ?? 1;
}

/** `s3://bucket/key` → parts, or undefined for a local path. */
export function parseS3Url(text: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
  return match ? { bucket: match[1] ?? "", key: match[2] ?? "" } : undefined;
}

/** The S3 connection of flags and the AWS_* environment. */
export function s3ConnectionFrom(flags: TransferFlags, env: NodeJS.ProcessEnv): S3Connection {
  const endpoint = flags["s3-endpoint"] ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new UsageError("an s3:// location needs --s3-endpoint (or AWS_ENDPOINT_URL_S3)");
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new UsageError("an s3:// location needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  return {
    endpoint,
    region: flags["s3-region"] ?? env.AWS_REGION ?? "us-east-1",
    forcePathStyle: !flags["s3-virtual-host"],
    accessKeyId,
    secretAccessKey,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  };
}

/** The Docker config at $DOCKER_CONFIG/config.json (or ~/.docker), when there is a usable one. */
function dockerConfigFile(env: NodeJS.ProcessEnv): RegistryCredentials | undefined {
  const path = join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
  try {
    const credentials: RegistryCredentials = { kind: "dockerConfig", json: readFileSync(path, "utf8") };
    checkRegistryCredentials(credentials);
    return credentials;
  } catch {
    return undefined; // no (usable) Docker config: anonymous
  }
}

/** Registry TLS and credentials from flags (and the Docker config). */
export async function registryConnection(flags: TransferFlags, env: NodeJS.ProcessEnv, stdin: () => Promise<string>): Promise<RegistryConnection> {
  let credentials: RegistryCredentials | undefined;
  if (flags.username) {
    if (!flags["password-stdin"]) throw new UsageError("--username needs --password-stdin");
    credentials = { kind: "basic", username: flags.username, password: (await stdin()).replace(/\r?\n$/, "") };
  } else {
    credentials = dockerConfigFile(env);
  }
  return {
    plainHttp: flags["plain-http"],
    caPem: flags["ca-file"] ? readFileSync(flags["ca-file"], "utf8") : undefined,
    insecureSkipTLSVerify: flags.insecure,
    credentials,
  };
}

/** Reads all of standard input. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
