// A key-signed sigstore bundle (DSSE over an in-toto statement, built with node:crypto as cosign writes it) with one
// Rekor dsse entry whose signed entry timestamp a generated "log" key signs: checkBundle accepts it with that log key,
// refuses it with another or with a flipped SET or a body naming another signature, and ignores the entry when no
// log key is configured.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, it } from "node:test";
import type { Digest } from "../ocispec/digest.ts";
import { checkBundle } from "./bundle.ts";
import { parsePublicKeys, type TrustedKey } from "./keys.ts";

const SUBJECT = `sha256:${"ab".repeat(32)}` as Digest;
const SOURCE = `sha256:${"cd".repeat(32)}` as Digest;

function keyPair(): { privateKey: KeyObject; trusted: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const [trusted] = parsePublicKeys(publicKey.export({ type: "spki", format: "pem" }).toString());
  assert.ok(trusted);
  return { privateKey, trusted };
}

/** RFC 8785 for the plain objects used here: keys sorted, no whitespace. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

const b64 = (b: Buffer | string): string => Buffer.from(b).toString("base64");

interface BundleOptions {
  signer: KeyObject;
  log?: { privateKey: KeyObject; logIdOf: TrustedKey; flipSet?: boolean; bodySig?: Buffer; intoto?: boolean };
}

function bundleBytes(o: BundleOptions): Buffer {
  const payloadType = "application/vnd.in-toto+json";
  const payload = Buffer.from(
    JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ digest: { sha256: "ab".repeat(32) } }] }),
  );
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload]);
  const sig = sign("sha256", pae, o.signer);
  const tlogEntries = o.log ? [logEntry(o.log, sig, payload)] : [];
  return Buffer.from(
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { publicKey: { hint: "" }, tlogEntries },
      dsseEnvelope: { payload: b64(payload), payloadType, signatures: [{ sig: b64(sig), keyid: "" }] },
    }),
  );
}

function logEntry(log: NonNullable<BundleOptions["log"]>, sig: Buffer, payload: Buffer): unknown {
  const payloadHash = { algorithm: "sha256", value: createHash("sha256").update(payload).digest("hex") };
  const recordedSig = b64(log.bodySig ?? sig);
  // intoto 0.0.2 bodies hold the signature base64-encoded twice; dsse 0.0.1 bodies once.
  const spec = log.intoto
    ? { content: { envelope: { signatures: [{ sig: b64(recordedSig), publicKey: "" }] }, payloadHash } }
    : { payloadHash, signatures: [{ signature: recordedSig, verifier: "" }] };
  const kind = log.intoto ? { kind: "intoto", version: "0.0.2" } : { kind: "dsse", version: "0.0.1" };
  const body = canonical({ apiVersion: kind.version, kind: kind.kind, spec });
  const logId = log.logIdOf.fingerprint.slice("sha256:".length);
  const setPayload = canonical({ body: b64(body), integratedTime: 1764770000, logIndex: 4242, logID: logId });
  const set = sign("sha256", Buffer.from(setPayload), log.privateKey);
  if (log.flipSet) set[set.length - 1] = (set.at(-1) ?? 0) ^ 1;
  return {
    logIndex: "4242",
    logId: { keyId: b64(Buffer.from(logId, "hex")) },
    kindVersion: kind,
    integratedTime: "1764770000",
    inclusionPromise: { signedEntryTimestamp: b64(set) },
    inclusionProof: {
      logIndex: "4242",
      rootHash: b64(Buffer.alloc(32)),
      treeSize: "4243",
      hashes: [],
      checkpoint: { envelope: "rekor.example - 1\n4243\nAAAA\n" },
    },
    canonicalizedBody: b64(body),
  };
}

describe("bundle transparency-log entries", () => {
  const signer = keyPair();
  const log = keyPair();
  const otherLog = keyPair();
  const check = (bytes: Buffer, logKeys?: TrustedKey[]): ReturnType<typeof checkBundle> =>
    checkBundle(bytes, { subject: SUBJECT, keys: [signer.trusted], source: SOURCE, logKeys });

  it("accepts an entry whose SET verifies with the configured log key it names", () => {
    const f = check(bundleBytes({ signer: signer.privateKey, log: { ...log, logIdOf: log.trusted } }), [
      otherLog.trusted,
      log.trusted,
    ]);
    assert.equal(f.problem, undefined);
    assert.equal(f.key?.fingerprint, signer.trusted.fingerprint);
  });

  it("refuses an entry from a log none of the configured keys is", () => {
    const f = check(bundleBytes({ signer: signer.privateKey, log: { ...log, logIdOf: log.trusted } }), [
      otherLog.trusted,
    ]);
    assert.equal(f.problemKind, "invalid");
    assert.match(f.problem ?? "", /transparency-log entry 0 \(log index 4242\): it names log [0-9a-f]{64}, none of/);
  });

  it("refuses a SET that another key made for the log it names", () => {
    const bytes = bundleBytes({ signer: signer.privateKey, log: { ...log, logIdOf: otherLog.trusted } });
    const f = check(bytes, [otherLog.trusted]);
    assert.equal(f.problemKind, "invalid");
    assert.match(f.problem ?? "", /signed entry timestamp does not verify with log key sha256:/);
  });

  it("refuses a flipped SET", () => {
    const bytes = bundleBytes({ signer: signer.privateKey, log: { ...log, logIdOf: log.trusted, flipSet: true } });
    assert.match(check(bytes, [log.trusted]).problem ?? "", /signed entry timestamp does not verify/);
  });

  it("refuses an entry whose body records another signature", () => {
    const bodySig = sign("sha256", Buffer.from("something else"), signer.privateKey);
    const bytes = bundleBytes({ signer: signer.privateKey, log: { ...log, logIdOf: log.trusted, bodySig } });
    assert.match(check(bytes, [log.trusted]).problem ?? "", /body records other signatures than the bundle's/);
  });

  it("reads intoto 0.0.2 entries (signatures base64 twice) as well", () => {
    const ok = bundleBytes({ signer: signer.privateKey, log: { ...log, logIdOf: log.trusted, intoto: true } });
    assert.equal(check(ok, [log.trusted]).problem, undefined);
    const bodySig = sign("sha256", Buffer.from("something else"), signer.privateKey);
    const other = bundleBytes({
      signer: signer.privateKey,
      log: { ...log, logIdOf: log.trusted, intoto: true, bodySig },
    });
    assert.match(check(other, [log.trusted]).problem ?? "", /body records other signatures/);
  });

  it("ignores entries when no log key is configured, and needs none when the bundle has no entries", () => {
    const flipped = bundleBytes({ signer: signer.privateKey, log: { ...log, logIdOf: log.trusted, flipSet: true } });
    assert.equal(check(flipped).problem, undefined);
    assert.equal(check(flipped, []).problem, undefined);
    assert.equal(check(bundleBytes({ signer: signer.privateKey }), [log.trusted]).problem, undefined);
  });

  it("checks the key signature first: a bundle by an unknown key is not rescued by a valid log entry", () => {
    const stranger = keyPair();
    const f = check(bundleBytes({ signer: stranger.privateKey, log: { ...log, logIdOf: log.trusted } }), [log.trusted]);
    assert.equal(f.problemKind, "no-key");
  });
});
