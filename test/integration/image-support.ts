// Support for image.test.ts: the image `npm run image` builds (scripts/image.sh, cached by a hash of its inputs, so
// the first test file to ask builds it once per run) and buildah on the same store, to run commands in it and to
// read its files.
import { join } from "node:path";
import { repoRoot, run, type RunResult } from "../env/index.ts";
import { cacheDir } from "../env/tools.ts";

/** The tag scripts/image.sh gives the image. */
export const IMAGE = "localhost/airlift:dev";
/** The docker-archive scripts/image.sh writes (`docker load` / `airlift import` input). */
export const DOCKER_ARCHIVE = join(cacheDir, "image/airlift.docker.tar");

/** The arguments that put buildah on the project's store (scripts/buildah-env.sh: vfs storage, chroot isolation). */
export function storeArgs(): string[] {
  const store = join(cacheDir, "containers");
  return ["--root", join(store, "storage"), "--runroot", join(store, "run"), "--storage-driver", "vfs"];
}

/** buildah on the project's store. */
export function buildah(args: string[], allowFailure = false): Promise<RunResult> {
  return run("buildah", [...storeArgs(), ...args], {
    env: { BUILDAH_ISOLATION: "chroot" },
    allowFailure,
    timeoutMs: 1_800_000,
  });
}

/** How long a before hook may wait for a cold image build (bases, Go stage, npm ci): beyond the suite's per-test limit. */
export const IMAGE_BUILD_TIMEOUT_MS = 3_600_000;

/** Builds the image unless it is current (a no-op then). */
export async function ensureImage(): Promise<void> {
  await run("bash", [join(repoRoot, "scripts/image.sh")], { timeoutMs: IMAGE_BUILD_TIMEOUT_MS });
}

/** The parts of the image's config the tests read. */
export interface ImageConfig {
  id: string;
  user: string;
  entrypoint: string[];
  workingDir: string;
}

/** The image's ID (its config's digest), user, entrypoint and working directory. */
export async function imageConfig(): Promise<ImageConfig> {
  const { stdout } = await buildah(["inspect", "--type", "image", IMAGE]);
  const o = JSON.parse(stdout) as {
    FromImageID: string;
    OCIv1: { config: { User?: string; Entrypoint?: string[]; WorkingDir?: string } };
  };
  const c = o.OCIv1.config;
  return { id: o.FromImageID, user: c.User ?? "", entrypoint: c.Entrypoint ?? [], workingDir: c.WorkingDir ?? "" };
}

/** A working container of the image; `remove()` deletes it. */
export async function container(): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = (await buildah(["from", "--pull=never", IMAGE])).stdout.trim();
  return { name, remove: async () => void (await buildah(["rm", name])) };
}
