// The image the Dockerfile builds (scripts/image.sh on the offline test bases of scripts/base-image.sh): it runs
// `airlift version` and `airlift --help` as its numeric non-root user through its own entrypoint, and holds what the
// operator needs and nothing of the build (no npm, no dev dependencies, no tests, no source maps).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../env/index.ts";
import {
  buildah,
  container,
  ensureImage,
  IMAGE_BUILD_TIMEOUT_MS,
  imageConfig,
  type ImageConfig,
} from "./image-support.ts";

let config: ImageConfig;
let ctr: Awaited<ReturnType<typeof container>>;
let rootfs = "";

before(
  async () => {
    await ensureImage();
    config = await imageConfig();
    ctr = await container();
    rootfs = (await buildah(["mount", ctr.name])).stdout.trim();
  },
  { timeout: IMAGE_BUILD_TIMEOUT_MS },
);
after(async () => {
  if (ctr) {
    await buildah(["umount", ctr.name], true);
    await ctr.remove();
  }
});

/** Runs the image's entrypoint with `args`, as the image's user, on the host network. */
async function entrypoint(args: string[]): Promise<string> {
  const { stdout } = await buildah(["run", "--network", "host", "--", ctr.name, ...config.entrypoint, ...args]);
  return stdout;
}

/** Every path under `dir` in the image, relative to the image's root. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(rootfs, dir), { withFileTypes: true })) {
    const path = join(dir, e.name);
    out.push(path);
    if (e.isDirectory()) out.push(...walk(path));
  }
  return out;
}

describe("the image", () => {
  it("runs as the numeric non-root user 65532:65532 the chart and deploy/ expect", async () => {
    assert.equal(config.user, "65532:65532");
    const { stdout } = await buildah(["run", "--", ctr.name, "id", "-u"]);
    assert.equal(stdout.trim(), "65532");
  });

  it("`airlift version` and `airlift --help` run through the image's entrypoint", async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    assert.match(await entrypoint(["version"]), new RegExp(pkg.version.replaceAll(".", "\\.")));
    const help = await entrypoint(["--help"]);
    for (const command of ["operator", "import", "version"]) assert.match(help, new RegExp(`\\b${command}\\b`));
  });

  it("holds no npm, npx, corepack or yarn, and no dev dependency", () => {
    for (const path of ["usr/local/bin/npm", "usr/local/bin/npx", "usr/local/bin/corepack", "usr/local/bin/yarn"])
      assert.equal(existsSync(join(rootfs, path)), false, path);
    assert.equal(existsSync(join(rootfs, "usr/local/lib/node_modules")), false, "usr/local/lib/node_modules");
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies))
      assert.ok(existsSync(join(rootfs, "app/node_modules", dep)), `dependency ${dep} missing`);
    // What npm marks dev-only in the lock file (a dev dependency also needed by a production package is not
    // dev-only) is absent; @kubernetes/client-node is one (tests only: src/ has its own KubeConfig, issue 18).
    const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => p.dev === true && path.startsWith("node_modules/"))
      .map(([path]) => path);
    assert.ok(devOnly.includes("node_modules/typescript"), "the lock marks typescript dev-only");
    assert.deepEqual(
      devOnly.filter((path) => existsSync(join(rootfs, "app", path))),
      [],
    );
  });

  it("holds no tests, no TypeScript sources and no source maps of test code", () => {
    const app = walk("app")
      .filter((p) => !p.startsWith("app/node_modules/"))
      .sort();
    assert.ok(app.includes("app/dist/cli/main.js"), "the entrypoint's dist/cli/main.js");
    const offending = app.filter(
      (p) => /\.test\.|(^|\/)test(\/|$)|\/bench\/|\.ts$/.test(relative("app", p)) && !p.endsWith(".d.ts"),
    );
    assert.deepEqual(offending, []);
    const testMaps = app.filter((p) => p.endsWith(".map") && /\.test\.|(^|\/)test\//.test(relative("app", p)));
    assert.deepEqual(testMaps, []);
  });
});
