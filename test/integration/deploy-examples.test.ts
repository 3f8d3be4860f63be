// examples/: with their placeholders filled in (as scripts/dev.ts does), every document passes server-side dry-run
// apply, and each airlift object narrows with parse.ts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot, testEnv } from "../env/index.ts";
import { parseArtifactPull, parseImageImport, parseOciSync } from "../../src/api/index.ts";
import { createNamespace, installCrds, kubeClient, parseDocs, type Kube } from "./api-kube-support.ts";

const PLACEHOLDERS: Record<string, string> = {
  REGISTRY: "127.0.0.1:5000",
  S3_ENDPOINT: "http://127.0.0.1:9000",
  S3_ACCESS_KEY_ID: "minioadmin",
  S3_SECRET_ACCESS_KEY: "minioadmin",
  PLAIN_HTTP: "true",
};
const PARSERS: Record<string, (v: unknown) => unknown> = {
  ImageImport: parseImageImport,
  ArtifactPull: parseArtifactPull,
  OciSync: parseOciSync,
};

let kube: Kube;
before(async () => {
  kube = kubeClient(await testEnv());
  await installCrds(kube);
  await createNamespace(kube, "airlift-system");
  await createNamespace(kube, "airlift-demo");
});
after(() => kube.close());

describe("examples/", () => {
  const files = readdirSync(join(repoRoot, "examples")).filter((f) => f.endsWith(".yaml"));

  it("has one sample of each kind", () => {
    const kinds = files.flatMap((f) =>
      parseDocs(readFileSync(join(repoRoot, "examples", f), "utf8")).map((d) => d.kind),
    );
    for (const kind of Object.keys(PARSERS)) assert.equal(kinds.filter((k) => k === kind).length, 1, kind);
  });

  for (const file of files) {
    it(`${file}: placeholders are documented at the top, and once filled in every document is accepted`, async () => {
      const text = readFileSync(join(repoRoot, "examples", file), "utf8");
      const used = [...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
      const header = text
        .split("\n")
        .filter((l) => l.startsWith("#"))
        .join("\n");
      for (const name of used) {
        assert.ok(name in PLACEHOLDERS, `unknown placeholder ${name}`);
        assert.ok(header.includes(`\${${name}}`), `${name} is not named in the header comment`);
      }
      const filled = text.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => PLACEHOLDERS[name]!);
      for (const doc of parseDocs(filled)) {
        PARSERS[doc.kind]?.(doc);
        await kube.apply(doc, { dryRun: true });
      }
    });
  }
});
