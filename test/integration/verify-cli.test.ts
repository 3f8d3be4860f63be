// --verify-key of `airlift import` and `airlift pull` with the real cosign: a signed image's layout imported into
// another registry (where `cosign verify --key` passes) and pulled, each printing what verified it; an unsigned
// one is refused with nothing tagged and nothing written; --tlog-key beside --key on a bundle without log entries.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistry, testEnv, type RegistryEnv } from "../env/index.ts";
import { airlift } from "./cli-support.ts";
import { cosignVerify, crane, keyPair, layoutTar, seedImage, sign } from "./verify-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-verify-cli-"));
let source: string;
let dest: RegistryEnv;
let k1: string;
let signedDigest: string;
let signedTar: string;
let unsignedTar: string;
const VERIFIED =
  /verified \S+@sha256:[0-9a-f]{64}: legacy \.sig signature sha256:[0-9a-f]{64} by key sha256:[0-9a-f]{64} \(ec-p256\)/;

before(async () => {
  const env = await testEnv();
  source = env.registries.anonymous.host;
  dest = await startRegistry(join(scratch, "dest-registry"), "anonymous");
  k1 = await keyPair(scratch, "k1");
  signedDigest = await seedImage(scratch, `${source}/cli-verify/signed:1`, "signed for the CLI");
  await sign(k1, `${source}/cli-verify/signed@${signedDigest}`, "legacy");
  signedTar = await layoutTar(scratch, `${source}/cli-verify/signed`, "1", signedDigest);
  await seedImage(scratch, `${source}/cli-verify/unsigned:1`, "unsigned for the CLI");
  unsignedTar = await layoutTar(scratch, `${source}/cli-verify/unsigned`, "1");
});

after(async () => {
  await dest.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("--verify-key", () => {
  it("airlift import --verify-key imports a signed layout and says what verified it", async () => {
    const target = `${dest.host}/cli/signed:1`;
    const res = airlift(["import", signedTar, target, "--verify-key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, VERIFIED);
    assert.ok(res.stdout.includes(signedDigest), res.stdout);
    assert.equal(await crane("digest", target), signedDigest);
    await cosignVerify(k1, target);
  });

  it("airlift import --verify-key refuses an unsigned layout: exit 1, SignatureMissing, no tag", async () => {
    const res = airlift(
      ["import", unsignedTar, `${dest.host}/cli/unsigned:1`, "--verify-key", `${k1}.pub`, "--plain-http"],
      {},
    );
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stderr, /SignatureMissing/);
    const tags = await crane("ls", `${dest.host}/cli/unsigned`).catch(() => "");
    assert.deepEqual(
      tags.split("\n").filter((t) => t !== "" && !t.startsWith("sha256-")),
      [],
    );
  });

  it("airlift pull --verify-key pulls a signed image and refuses an unsigned one, writing nothing", async () => {
    const out = join(scratch, "pulled");
    const res = airlift(
      ["pull", `${source}/cli-verify/signed:1`, out, "--verify-key", `${k1}.pub`, "--plain-http", "--extract"],
      {},
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, VERIFIED);
    assert.ok(existsSync(join(out, "extracted", "f.txt")));
    const refusedOut = join(scratch, "refused");
    const refused = airlift(
      ["pull", `${source}/cli-verify/unsigned:1`, refusedOut, "--verify-key", `${k1}.pub`, "--plain-http"],
      {},
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /SignatureMissing/);
    assert.ok(!existsSync(refusedOut) || readdirSync(refusedOut).length === 0, "nothing written");
  });

  it("airlift verify names the signature's kind, digest and the key's fingerprint", () => {
    const res = airlift(["verify", `${source}/cli-verify/signed:1`, "--key", `${k1}.pub`, "--plain-http"], {});
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout,
      /legacy \.sig simple-signing sha256:[0-9a-f]{64}: valid, key sha256:[0-9a-f]{64} \(ec-p256\)/,
    );
  });

  it("--tlog-key: a real cosign bundle signed with --tlog-upload=false has no log entries and still verifies by key", async () => {
    const digest = await seedImage(scratch, `${source}/cli-verify/bundled:1`, "bundle for --tlog-key");
    await sign(k1, `${source}/cli-verify/bundled@${digest}`, "bundle");
    const log = await keyPair(scratch, "rekor");
    const ref = `${source}/cli-verify/bundled:1`;
    const res = airlift(["verify", ref, "--key", `${k1}.pub`, "--tlog-key", `${log}.pub`, "--plain-http"], {});
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /sigstore bundle sha256:[0-9a-f]{64}: valid, key sha256:[0-9a-f]{64} \(ec-p256\)/);
    const alone = airlift(["verify", ref, "--tlog-key", `${log}.pub`, "--plain-http"], {});
    assert.equal(alone.code, 2, alone.stderr);
    assert.match(alone.stderr, /--tlog-key needs --key/);
  });

  it("a key file without a PEM public key is a usage error before any request", () => {
    const res = airlift(["import", signedTar, `${dest.host}/cli/x:1`, "--verify-key", signedTar, "--plain-http"], {});
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /--verify-key .*no PEM PUBLIC KEY block/);
  });
});
