// The Harbor client and tag policies against the Harbor STAND-IN (test/harbor-standin) in front of the REAL
// anonymous registry; content is pushed with crane through the stand-in, as it would be pushed to Harbor.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { run, testEnv } from "../env/index.ts";
import { startHarborStandin, type HarborStandin } from "../harbor-standin/index.ts";
import {
  HarborClient,
  HarborNotFoundError,
  HarborUnauthorizedError,
  NoMatchingTagError,
  candidatesFromArtifacts,
  selectTag,
  type HarborArtifact,
  type ListArtifactsOptions,
  type TagPolicy,
} from "../../src/harbor/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-harbor-"));
const runId = randomBytes(3).toString("hex");
let standin: HarborStandin;
let client: HarborClient;

/** Pushes a one-layer image with `content` through the stand-in; returns its digest. */
async function pushImage(
  repository: string,
  tag: string,
  content = `${repository}:${tag} ${randomBytes(4).toString("hex")}\n`,
): Promise<string> {
  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(join(dir, "content.txt"), content);
  const layer = join(dir, "layer.tar");
  await run("tar", ["-C", dir, "-cf", layer, "content.txt"]);
  const ref = `${standin.host}/${repository}:${tag}`;
  await run("crane", ["append", "--insecure", "-f", layer, "-t", ref]);
  return (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
}

async function listAll(c: HarborClient, options: ListArtifactsOptions): Promise<HarborArtifact[]> {
  const out: HarborArtifact[] = [];
  for await (const artifact of c.listArtifacts(options)) out.push(artifact);
  return out;
}

async function pick(project: string, repository: string, policy: TagPolicy, excludeSignatures = true): Promise<string> {
  const artifacts = await listAll(client, { project, repository, signal: AbortSignal.timeout(30_000) });
  return selectTag(candidatesFromArtifacts(artifacts), policy, { excludeSignatures }).candidate.tag;
}

describe("Harbor client against the Harbor stand-in", () => {
  before(async () => {
    const { registries } = await testEnv();
    standin = await startHarborStandin({ registry: registries.anonymous });
    client = new HarborClient({ url: standin.url, timeoutMs: 20_000 });
  });
  after(async () => {
    await client.close();
    await standin.close();
  });

  it("newestPushed picks the newest real tag, skipping the .sig pushed last; with excludeSignatures: false the .sig", async () => {
    const project = `newest-${runId}`;
    await pushImage(`${project}/app`, "v1");
    const v2 = await pushImage(`${project}/app`, "v2");
    await pushImage(`${project}/app`, "v0-late-hotfix");
    const v3 = await pushImage(`${project}/app`, "v3");
    const sigTag = `${v3.replace(":", "-")}.sig`;
    await pushImage(`${project}/app`, sigTag);
    // The hotfix was pushed between v2 and v3: push order, not name, decides.
    assert.equal(await pick(project, "app", { newestPushed: {} }), "v3");
    assert.equal(await pick(project, "app", { newestPushed: {} }, false), sigTag);
    const artifacts = await listAll(client, { project, repository: "app" });
    assert.equal(artifacts.length, 5);
    assert.equal(artifacts.find((a) => a.tags.some((t) => t.name === "v2"))?.digest, v2);
    // sort=-push_time: newest first, as Harbor lists them.
    const times = artifacts.map((a) => Date.parse(a.pushTime));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
  });

  it("semver and pattern policies over tags with explicit push times", async () => {
    const project = `policies-${runId}`;
    const repo = `${project}/tool`;
    const tags = ["v1.2.0", "1.10.0", "v2.0.0-rc.1", "latest", "prod-2024.1", "prod-2024.2", "dev-7"];
    await pushImage(repo, "base");
    for (const tag of tags) await run("crane", ["tag", "--insecure", `${standin.host}/${repo}:base`, tag]);
    // `latest` is the newest push; prod-2024.1 was re-pushed after prod-2024.2.
    const minutes: Record<string, number> = {
      base: 0,
      "v1.2.0": 1,
      "1.10.0": 2,
      "v2.0.0-rc.1": 3,
      "prod-2024.2": 4,
      "prod-2024.1": 5,
      "dev-7": 6,
      latest: 7,
    };
    for (const [tag, minute] of Object.entries(minutes))
      standin.recordPush(repo, tag, new Date(Date.UTC(2025, 5, 1, 12, minute)));
    assert.equal(await pick(project, "tool", { semver: { range: "^1.0.0" } }), "1.10.0");
    assert.equal(await pick(project, "tool", { semver: { range: ">=2.0.0-0" } }), "v2.0.0-rc.1");
    assert.equal(await pick(project, "tool", { pattern: { regex: "^prod-" } }), "prod-2024.1");
    assert.equal(await pick(project, "tool", { newestPushed: {} }), "latest");
    await assert.rejects(
      pick(project, "tool", { semver: { range: "^3" } }),
      (err: unknown) => err instanceof NoMatchingTagError && /8 tags considered/.test(err.message),
    );
    // One artifact carrying every tag, each with its own push time.
    const [artifact] = await listAll(client, { project, repository: "tool" });
    assert.equal(artifact?.tags.length, 8);
    assert.equal(artifact?.tags.find((t) => t.name === "dev-7")?.pushTime, "2025-06-01T12:06:00.000Z");
  });

  it("a nested repository name is double-encoded; a single-encoded path 404s as on Harbor", async () => {
    const project = `nested-${runId}`;
    const digest = await pushImage(`${project}/a/b`, "v1");
    const artifacts = await listAll(client, { project, repository: "a/b" });
    assert.deepEqual(
      artifacts.map((a) => [a.digest, a.tags.map((t) => t.name)]),
      [[digest, ["v1"]]],
    );
    const single = await request(`${standin.url}/api/v2.0/projects/${project}/repositories/a%2Fb/artifacts`);
    assert.equal(single.statusCode, 404);
    assert.equal(((await single.body.json()) as { errors: { code: string }[] }).errors[0]?.code, "NOT_FOUND");
  });

  it("pages through several pages with page_size 2 (X-Total-Count, Link rel=next)", async () => {
    const project = `paging-${runId}`;
    const pushed: string[] = [];
    for (let i = 0; i < 5; i++) pushed.push(await pushImage(`${project}/many`, `t${i}`));
    for (let i = 0; i < 5; i++) standin.recordPush(`${project}/many`, `t${i}`, new Date(Date.UTC(2025, 0, 1, 0, i)));
    const artifacts = await listAll(client, { project, repository: "many", pageSize: 2 });
    assert.deepEqual(
      artifacts.map((a) => a.digest),
      [...pushed].reverse(),
    );
    const first = await request(
      `${standin.url}/api/v2.0/projects/${project}/repositories/many/artifacts?page=1&page_size=2`,
    );
    assert.equal(first.headers["x-total-count"], "5");
    assert.match(String(first.headers.link), /page=2.*rel="next"/);
    assert.equal(((await first.body.json()) as unknown[]).length, 2);
    const last = await request(
      `${standin.url}/api/v2.0/projects/${project}/repositories/many/artifacts?page=3&page_size=2`,
    );
    assert.doesNotMatch(String(last.headers.link), /rel="next"/);
    assert.equal(((await last.body.json()) as unknown[]).length, 1);
  });

  it("an unknown repository or project is HarborNotFoundError", async () => {
    const project = `known-${runId}`;
    await pushImage(`${project}/exists`, "v1");
    await assert.rejects(
      listAll(client, { project, repository: "missing" }),
      (err: unknown) => err instanceof HarborNotFoundError && err.code === "NOT_FOUND" && !err.transient,
    );
    await assert.rejects(listAll(client, { project: `no-such-${runId}`, repository: "exists" }), HarborNotFoundError);
  });

  it("accessories as Harbor shows them: real cosign signatures and an oras referrer are not listed but named", async () => {
    const project = `acc-${runId}`;
    const repo = `${project}/app`;
    const digest = await pushImage(repo, "v1");
    const other = await pushImage(repo, "v2");
    const cosignEnv = { COSIGN_PASSWORD: "pw" };
    const key = join(scratch, `k-${runId}`);
    await run("cosign", ["generate-key-pair", "--output-key-prefix", key], { env: cosignEnv });
    for (const format of ["--new-bundle-format=false", "--new-bundle-format=true"])
      await run(
        "cosign",
        [
          "sign",
          "--key",
          `${key}.key`,
          "--tlog-upload=false",
          "--use-signing-config=false",
          "--allow-http-registry",
        ].concat(["-y", format, `${standin.host}/${repo}@${digest}`]),
        { env: cosignEnv },
      );
    writeFileSync(join(scratch, "sbom.json"), "{}\n");
    await run(
      "oras",
      ["attach", "--plain-http", "--artifact-type", "application/vnd.example.sbom+json"].concat([
        `${standin.host}/${repo}@${digest}`,
        "sbom.json:application/json",
      ]),
      { cwd: scratch },
    );
    // A referrer that also got an ordinary-looking tag, pushed last: still an accessory, as on Harbor.
    const referrers = JSON.parse(
      (await run("oras", ["discover", "--plain-http", "--format", "json", `${standin.host}/${repo}@${digest}`])).stdout,
    ) as {
      referrers?: { digest: string; artifactType: string }[];
      manifests?: { digest: string; artifactType: string }[];
    };
    const found = referrers.referrers ?? referrers.manifests ?? [];
    const sbom = found.find((r) => r.artifactType === "application/vnd.example.sbom+json")?.digest ?? "";
    await run("crane", ["tag", "--insecure", `${standin.host}/${repo}@${sbom}`, "v3-sbom"]);
    const sig = (
      await run("crane", ["digest", "--insecure", `${standin.host}/${repo}:${digest.replace(":", "-")}.sig`])
    ).stdout.trim();

    const artifacts = await listAll(client, { project, repository: "app" });
    assert.deepEqual(artifacts.map((a) => a.digest).sort(), [digest, other].sort(), "only the two images are listed");
    const subject = artifacts.find((a) => a.digest === digest);
    const byType = new Map<string, string[]>();
    for (const acc of subject?.accessories ?? []) {
      assert.equal(acc.subjectDigest, digest);
      byType.set(acc.type, [...(byType.get(acc.type) ?? []), acc.digest]);
    }
    assert.ok(byType.get("signature.cosign")?.includes(sig), "the legacy .sig is a cosign signature accessory");
    assert.equal(byType.get("signature.cosign")?.length, 2, "and so is the bundle referrer");
    assert.deepEqual(byType.get("subject.accessory"), [sbom]);
    assert.deepEqual(artifacts.find((a) => a.digest === other)?.accessories, []);
    // The tag on the SBOM was pushed last, yet neither setting can pick it: Harbor does not list accessories.
    assert.equal(await pick(project, "app", { newestPushed: {} }), "v2");
    assert.equal(await pick(project, "app", { newestPushed: {} }, false), "v2");
    const bare = await listAll(client, { project, repository: "app", withAccessory: false });
    assert.deepEqual(bare.find((a) => a.digest === digest)?.accessories, []);
  });
});

describe("robot accounts", () => {
  const robot = { name: `robot$ci-${runId}+puller`, password: randomBytes(12).toString("hex") };
  let guarded: HarborStandin;
  before(async () => {
    const { registries } = await testEnv();
    guarded = await startHarborStandin({ registry: registries.anonymous, robot });
  });
  after(() => guarded.close());

  it("basic auth as robot$project+name lists; a wrong password is HarborUnauthorizedError without the secret in it", async () => {
    const project = `robot-${runId}`;
    const dir = mkdtempSync(join(scratch, "robot-"));
    writeFileSync(join(dir, "f.txt"), "robot\n");
    await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "f.txt"]);
    await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", `${guarded.host}/${project}/app:v1`]);
    const good = new HarborClient({
      url: guarded.url,
      credentials: { username: robot.name, password: robot.password },
    });
    const wrongPassword = `wrong-${randomBytes(6).toString("hex")}`;
    const bad = new HarborClient({
      url: guarded.url,
      credentials: { username: robot.name, password: wrongPassword },
      retry: { maxAttempts: 1 },
    });
    const anonymous = new HarborClient({ url: guarded.url });
    try {
      const artifacts = await listAll(good, { project, repository: "app" });
      assert.deepEqual(
        artifacts.flatMap((a) => a.tags.map((t) => t.name)),
        ["v1"],
      );
      await assert.rejects(listAll(bad, { project, repository: "app" }), (err: unknown) => {
        assert.ok(err instanceof HarborUnauthorizedError);
        assert.equal(err.code, "UNAUTHORIZED");
        assert.equal(err.transient, false);
        assert.ok(
          !err.message.includes(wrongPassword) &&
            !err.message.includes(Buffer.from(`${robot.name}:${wrongPassword}`).toString("base64")),
        );
        return true;
      });
      await assert.rejects(listAll(anonymous, { project, repository: "app" }), HarborUnauthorizedError);
    } finally {
      await Promise.all([good.close(), bad.close(), anonymous.close()]);
    }
  });
});

describe("the stand-in in front of the basic-auth TLS registry", () => {
  it("proxies an authenticated crane push and lists it with the registry's own credentials", async () => {
    const reg = (await testEnv()).registries["basic-tls"];
    const tlsStandin = await startHarborStandin({ registry: reg });
    const tlsClient = new HarborClient({ url: tlsStandin.url });
    try {
      const dockerDir = mkdtempSync(join(scratch, "docker-"));
      const auth = Buffer.from(`${reg.username}:${reg.password}`).toString("base64");
      writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ auths: { [tlsStandin.host]: { auth } } }));
      const dir = mkdtempSync(join(scratch, "tls-"));
      writeFileSync(join(dir, "f.txt"), `tls ${runId}\n`);
      await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "f.txt"]);
      const project = `tls-${runId}`;
      const ref = `${tlsStandin.host}/${project}/app:v9`;
      // Without credentials the registry's own 401 comes back through the proxy.
      const refused = await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", ref], {
        env: { DOCKER_CONFIG: mkdtempSync(join(scratch, "empty-")) },
        allowFailure: true,
      });
      assert.notEqual(refused.code, 0);
      await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", ref], {
        env: { DOCKER_CONFIG: dockerDir },
      });
      const digest = (
        await run("crane", ["digest", "--insecure", ref], { env: { DOCKER_CONFIG: dockerDir } })
      ).stdout.trim();
      const artifacts = await listAll(tlsClient, { project, repository: "app" });
      assert.deepEqual(
        artifacts.map((a) => [a.digest, a.tags.map((t) => t.name)]),
        [[digest, ["v9"]]],
      );
    } finally {
      await tlsClient.close();
      await tlsStandin.close();
    }
  });
});
