// Flags `airlift import` and `airlift pull` share: S3 connection (AWS_* conventions), registry auth and TLS, output;
// and the exit codes that tell failure kinds apart. Everything here is checked before any network I/O.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Option, type Command } from "commander";
import type { RegistryConnection, RegistryCredentials } from "../transfer/connection.ts";
import type { TransferReason } from "../transfer/errors.ts";
import type { S3Connection } from "../transfer/s3-connection.ts";
import { UsageError } from "./command.ts";
import { dockerConfigCredentialsFor } from "./credential-helpers.ts";
import { PROGRESS_MODES, type ProgressFlag } from "./progress-printer.ts";
import { hostProblem } from "./reference-check.ts";

export const TRANSFER_EXIT_CODES_HELP = `Exit codes: 0 ok, 1 other failure, 2 usage, 3 source not found / access denied, 4 invalid archive / digest
  or checksum mismatch / not in SHA256SUMS, 5 registry or authentication failure, 6 extraction refused, 7 source or
  registry unavailable (retry later)`;

/** Values of the shared flags, as commander hands them over. */
export interface TransferFlags {
  s3Endpoint?: string;
  s3Region?: string;
  s3VirtualHost?: boolean;
  username?: string;
  passwordStdin?: boolean;
  caFile?: string;
  insecure?: boolean;
  plainHttp?: boolean;
  progress: ProgressFlag;
  json?: boolean;
  defaultRegistry?: string;
}

/** Adds the S3, registry and output flags. */
export function addTransferFlags(cmd: Command): Command {
  return cmd
    .option(
      "--s3-endpoint <url>",
      "S3 endpoint [AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL]; keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
    )
    .option("--s3-region <region>", "S3 region [AWS_REGION] (default: us-east-1)")
    .option("--s3-virtual-host", "virtual-hosted-style S3 addressing (default: path-style, as on-premises stores need)")
    .option("--username <user>", "registry user; the password is read from standard input (--password-stdin)")
    .option(
      "--password-stdin",
      "read the registry password from standard input (otherwise: the Docker config at $DOCKER_CONFIG/config.json, with its credHelpers / credsStore)",
    )
    .option(
      "--default-registry <host>",
      "the registry of references written without one, e.g. app:1 [AIRLIFT_DEFAULT_REGISTRY] (never docker.io unless named)",
    )
    .option("--ca-file <pem>", "trust this CA bundle too")
    .option("--insecure", "skip TLS certificate verification")
    .option("--plain-http", "talk HTTP to the registry")
    .addOption(
      new Option("--progress <mode>", "progress on stderr: a redrawn bar on a terminal, plain lines otherwise")
        .choices(PROGRESS_MODES)
        .default("auto"),
    )
    .option("--json", "print the result as JSON on stdout");
}

/** Exit code per failure kind (the help lists them); 1 for any other. */
const EXIT_CODES: Partial<Record<TransferReason, number>> = {
  SourceNotFound: 3,
  AccessDenied: 3,
  InvalidArchive: 4,
  DigestMismatch: 4,
  UnsupportedMediaType: 4,
  ChecksumMismatch: 4,
  NotListed: 4,
  ChecksumListInvalid: 4,
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

/** The S3 endpoint of the flags or the environment, checked. */
function s3Endpoint(flags: TransferFlags, env: NodeJS.ProcessEnv): string {
  const endpoint = flags.s3Endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new UsageError("an s3:// location needs --s3-endpoint URL (or AWS_ENDPOINT_URL_S3)");
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol))
    throw new UsageError(`the S3 endpoint "${endpoint}" is not an http:// or https:// URL`);
  return endpoint;
}

/** The S3 connection of flags and the AWS_* environment. */
export function s3ConnectionFrom(flags: TransferFlags, env: NodeJS.ProcessEnv): S3Connection {
  const endpoint = s3Endpoint(flags, env);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new UsageError("an s3:// location needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
  return {
    endpoint,
    region: flags.s3Region ?? env.AWS_REGION ?? "us-east-1",
    forcePathStyle: !flags.s3VirtualHost,
    accessKeyId,
    secretAccessKey,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  };
}

/** The credentials for `registry` from the Docker config at $DOCKER_CONFIG/config.json (or ~/.docker), if any. */
async function dockerConfigFile(
  env: NodeJS.ProcessEnv,
  registry: string,
  warn: (line: string) => void,
): Promise<RegistryCredentials | undefined> {
  const path = join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
  let json: string;
  try {
    json = readFileSync(path, "utf8");
  } catch {
    return undefined; // no Docker config: anonymous
  }
  return dockerConfigCredentialsFor(json, registry, { env, warn });
}

function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --ca-file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    throw new UsageError(`--ca-file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}

/** Checks the registry flags that need no input (before reading standard input or touching the network). */
export function checkRegistryFlags(flags: TransferFlags): void {
  if (flags.username && !flags.passwordStdin)
    throw new UsageError("--username needs --password-stdin (pipe the password in)");
  if (flags.passwordStdin && !flags.username) throw new UsageError("--password-stdin needs --username");
  if (flags.caFile) readCaFile(flags.caFile);
}

/** How `registryConnection` reaches its inputs: standard input, and a line of warning on stderr. */
export interface ConnectionInputs {
  stdin: () => Promise<string>;
  warn: (line: string) => void;
}

/** Registry TLS and credentials for `registry` from flags (and the Docker config, running its credential helper). */
export async function registryConnection(
  flags: TransferFlags,
  env: NodeJS.ProcessEnv,
  registry: string,
  inputs: ConnectionInputs,
): Promise<RegistryConnection> {
  checkRegistryFlags(flags);
  const credentials: RegistryCredentials | undefined = flags.username
    ? { kind: "basic", username: flags.username, password: (await inputs.stdin()).replace(/\r?\n$/, "") }
    : await dockerConfigFile(env, registry, inputs.warn);
  return {
    plainHttp: flags.plainHttp,
    caPem: flags.caFile ? readCaFile(flags.caFile) : undefined,
    insecureSkipTLSVerify: flags.insecure,
    credentials,
  };
}

/** The registry host for references written without one: --default-registry, else AIRLIFT_DEFAULT_REGISTRY, checked. */
export function defaultRegistry(flags: TransferFlags, env: NodeJS.ProcessEnv): string | undefined {
  const fromFlag = flags.defaultRegistry !== undefined;
  const host = fromFlag ? flags.defaultRegistry : env.AIRLIFT_DEFAULT_REGISTRY || undefined;
  if (host === undefined) return undefined;
  const problem = host.includes("/")
    ? `write the host only (e.g. harbor.example.com), got "${host}"`
    : hostProblem(host);
  if (problem)
    throw new UsageError(`invalid ${fromFlag ? "--default-registry" : "AIRLIFT_DEFAULT_REGISTRY"}: ${problem}`);
  return host;
}

/** Reads all of standard input. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
