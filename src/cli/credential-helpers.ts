// The CLI's registry credentials from the Docker config, as `docker` finds them: `credHelpers[host]`, else `auths`,
// else `credsStore` (src/oci/docker-config.ts decides which). A helper is run as `docker-credential-<name> get` with
// the server URL on standard input, bounded in time and output, and only here: the operator never runs programs
// named by a Secret. A helper that is missing or answers "credentials not found" leaves the host anonymous; any
// other failure is one CliError line that never quotes the answer (it holds the secret).
import { spawn } from "node:child_process";
import { InvalidInputError } from "../oci/errors.ts";
import { credentialFromHelper, credentialSourceFor, dockerConfigOf } from "../oci/docker-config.ts";
import { checkRegistryCredentials, type RegistryCredentials } from "../transfer/connection.ts";
import { CliError } from "./command.ts";

/** How long a helper may take (gdcloud and cloud helpers may refresh a token over the network). */
export const HELPER_TIMEOUT_MS = 30_000;
/** The most a helper may write; an answer is a few hundred bytes. */
export const HELPER_OUTPUT_CAP = 64 * 1024;
/** Exit code of a registry or authentication failure (see transfer-flags.ts). */
const EXIT_REGISTRY = 5;

/** Where helpers run: their environment (PATH finds them), a warning line's sink, and the limits. */
export interface HelperContext {
  env: NodeJS.ProcessEnv;
  warn: (line: string) => void;
  timeoutMs?: number;
  outputCap?: number;
}

interface HelperRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a failed run says, in one short line, unless it looks like an answer (which would hold the secret). */
function helperSays(run: HelperRun): string {
  const text = `${run.stdout}\n${run.stderr}`.trim();
  if (text === "") return "";
  if (/"Secret"/i.test(text)) return ": (output withheld)";
  return `: ${(text.split(/\r?\n/)[0] ?? "").slice(0, 200)}`;
}

function helperError(program: string, why: string): CliError {
  return new CliError(`credential helper ${program} ${why}`, EXIT_REGISTRY);
}

function collect(stream: NodeJS.ReadableStream, onData: (bytes: number) => void): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => {
    chunks.push(c);
    onData(c.length);
  });
  return () => Buffer.concat(chunks).toString("utf8");
}

/** Runs `program get` with `input` on stdin; undefined when the program is not on PATH. */
function runHelper(program: string, input: string, ctx: HelperContext): Promise<HelperRun | undefined> {
  const timeoutMs = ctx.timeoutMs ?? HELPER_TIMEOUT_MS;
  const cap = ctx.outputCap ?? HELPER_OUTPUT_CAP;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ["get"], { env: ctx.env, stdio: ["pipe", "pipe", "pipe"] });
    let total = 0;
    const fail = (err: CliError): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      // A grandchild may still hold the pipes: stop reading them so that nothing waits on it.
      child.stdout.destroy();
      child.stderr.destroy();
      reject(err);
    };
    const onData = (bytes: number): void => {
      total += bytes;
      if (total > cap) fail(helperError(program, `wrote more than ${cap} bytes`));
    };
    const stdout = collect(child.stdout, onData);
    const stderr = collect(child.stderr, onData);
    const timer = setTimeout(() => fail(helperError(program, `did not answer within ${timeoutMs / 1000}s`)), timeoutMs);
    child.stdin.on("error", () => undefined); // a helper that exits without reading its input
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === "ENOENT") resolve(undefined);
      else reject(helperError(program, `could not be run (${err.code ?? err.message})`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stdout(), stderr: stderr() });
    });
    child.stdin.end(input);
  });
}

/**
 * The credential `helper` holds for `serverUrl`, as a Docker config JSON for `registry`; undefined (anonymous) when
 * the helper is not installed or has none. `ctx.warn` hears about a missing helper.
 */
export async function credentialsFromHelper(
  { helper, serverUrl }: { helper: string; serverUrl: string },
  registry: string,
  ctx: HelperContext,
): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${helper}`;
  const run = await runHelper(program, serverUrl, ctx);
  if (run === undefined) {
    ctx.warn(`${program} is not on PATH: connecting to ${registry} anonymously`);
    return undefined;
  }
  if (run.code !== 0) {
    if (/credentials not found/i.test(`${run.stdout}${run.stderr}`)) return undefined;
    throw helperError(program, `failed for ${serverUrl} (exit ${run.code ?? "by signal"})${helperSays(run)}`);
  }
  try {
    const credential = credentialFromHelper(run.stdout);
    return credential && { kind: "dockerConfig", json: dockerConfigOf(registry, credential) };
  } catch (err) {
    if (err instanceof InvalidInputError)
      throw helperError(
        program,
        `answered for ${serverUrl} with something other than {"ServerURL","Username","Secret"}`,
      );
    throw err;
  }
}

/**
 * The credentials for `registry` from the Docker config text `json`: the config itself when its `auths` answer,
 * a helper's answer when `credHelpers` or `credsStore` names one, else undefined (anonymous). An unusable config
 * is treated as none, as before helpers were read.
 */
export async function dockerConfigCredentialsFor(
  json: string,
  registry: string,
  ctx: HelperContext,
): Promise<RegistryCredentials | undefined> {
  let source: ReturnType<typeof credentialSourceFor>;
  try {
    source = credentialSourceFor(json, registry);
    checkRegistryCredentials({ kind: "dockerConfig", json });
  } catch {
    return undefined;
  }
  if (source.kind === "auths") return { kind: "dockerConfig", json };
  if (source.kind === "helper") return credentialsFromHelper(source, registry, ctx);
  return undefined;
}
