// The flags `airlift vet` and `airlift diff` share to render a bundle as the operator does (--kustomize, --var,
// --vars-file) and to fetch an image (--plain-http, --insecure, --ca-file, --username/--password-stdin, --platform,
// --default-registry), turned into the engine's inputs.
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { Option, type Command } from "commander";
import { parse } from "yaml";
import type { RegistryConnection } from "../transfer/connection.ts";
import { durationArg, UsageError, type CliIO } from "./command.ts";
import { checkReference, withRegistry } from "./reference-check.ts";
import { defaultRegistry, readStdin, registryConnection } from "./transfer-flags.ts";

/** Values of the registry flags. */
export interface RegistryFlags {
  plainHttp?: boolean;
  insecure?: boolean;
  caFile?: string;
  username?: string;
  passwordStdin?: boolean;
  platform: string;
  defaultRegistry?: string;
}

/** Values of the render flags. */
export interface RenderFlags {
  kustomize?: string;
  kustomizeTimeout: number;
}

/** Adds --kustomize and --kustomize-timeout. */
export function addRenderFlags(cmd: Command): Command {
  return cmd
    .option(
      "--kustomize <path>",
      'the kustomize binary to render kustomizations with (default: kustomize on PATH); "" turns rendering off, as the operator\'s --kustomize ""',
    )
    .addOption(
      new Option("--kustomize-timeout <duration>", "time limit of kustomize build (the operator's is 60s)")
        .argParser(durationArg)
        .default(60_000, "60s"),
    );
}

/** Adds the registry flags (for an image reference). */
export function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option("--username <user>", "registry user; the password is read from standard input (--password-stdin)")
    .option("--password-stdin", "read the registry password from standard input (else: the Docker config)")
    .option("--default-registry <host>", "the registry of references written without one [AIRLIFT_DEFAULT_REGISTRY]")
    .option("--ca-file <pem>", "trust this CA bundle too")
    .option("--insecure", "skip TLS certificate verification")
    .option("--plain-http", "talk HTTP to the registry")
    .addOption(new Option("--platform <os/arch>", "platform picked from an image index").default("linux/amd64"));
}

/** The kustomize binary: the flag's (absolute), else the first `kustomize` on PATH; undefined when rendering is off. */
export function kustomizeBinary(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag === "") return undefined;
  if (flag !== undefined) return isAbsolute(flag) ? flag : resolve(flag);
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, "kustomize");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** `--var K=V` (repeatable) over `--vars-file` (a YAML map of names to values); undefined when neither is given. */
export function substitutionVars(
  vars: readonly string[],
  file: string | undefined,
): Record<string, string> | undefined {
  if (vars.length === 0 && file === undefined) return undefined;
  const out: Record<string, string> = file === undefined ? {} : varsFile(file);
  for (const v of vars) {
    const eq = v.indexOf("=");
    const name = v.slice(0, eq);
    if (eq < 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`--var takes NAME=VALUE with NAME a variable name, got "${v}"`);
    out[name] = v.slice(eq + 1);
  }
  return out;
}

/** A YAML map of variable names to scalar values (numbers and booleans are taken as written). */
function varsFile(file: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--vars-file ${file}: ${(err as Error).message.split("\n")[0] ?? ""}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new UsageError(`--vars-file ${file}: must be a YAML map of NAME: value, as spec.substitute`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) out[k] = scalar(v, `--vars-file ${file}: ${k}`);
  return out;
}

function scalar(v: unknown, what: string): string {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  throw new UsageError(`${what} must be a string, a number or a boolean`);
}

/** The image with the default registry applied, and how to reach its registry (flags, else the Docker config). */
export async function imageConnection(
  image: string,
  flags: RegistryFlags,
  io: CliIO,
  command: string,
): Promise<{ image: string; connection: RegistryConnection }> {
  const registry = defaultRegistry({ ...flags, progress: "auto" }, io.env);
  const parsed = checkReference(image, "image", registry);
  const connection = await registryConnection({ ...flags, progress: "auto" }, io.env, parsed.registry, {
    stdin: readStdin,
    warn: (line) => io.stderr.write(`airlift ${command}: warning: ${line}\n`),
  });
  return { image: withRegistry(image, "image", registry), connection };
}
