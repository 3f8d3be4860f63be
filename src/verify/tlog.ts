// A sigstore bundle's transparency-log entries checked offline against configured log keys (Rekor's public key):
// each entry's signed entry timestamp (SET) must verify with the log key its logId names, over Rekor's canonical JSON
// of {body, integratedTime, logID, logIndex}, and the entry's body must record this bundle's signatures and payload
// hash, as cosign's VerifySET and sigstore-js's verifyTLogSET/verifyTLogBody do. Inclusion proofs and checkpoints are
// not checked (that needs the log's tree state, which an air-gapped site does not have), nor integratedTime against a
// certificate's validity (key-based bundles carry no certificate).
import { createHash } from "node:crypto";
import type { Bundle } from "@sigstore/bundle";
import { signingKey } from "./check-signature.ts";
import type { TrustedKey } from "./keys.ts";

/** The fields of a bundle's tlog entry read here (the proto's, looser than @sigstore/bundle's validated type). */
interface Entry {
  logIndex: string;
  logId?: { keyId: Buffer } | undefined;
  kindVersion?: { kind: string; version: string } | undefined;
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: Buffer } | undefined;
  canonicalizedBody: Buffer;
}
type Envelope = Extract<Bundle["content"], { $case: "dsseEnvelope" }>["dsseEnvelope"];

/** The part of a Rekor dsse v0.0.1 or intoto v0.0.2 entry body compared with the bundle. */
interface EntryBody {
  kind?: string;
  apiVersion?: string;
  spec?: {
    signatures?: { signature?: string }[];
    payloadHash?: { value?: string };
    content?: { envelope?: { signatures?: { sig?: string }[] }; payloadHash?: { value?: string } };
  };
}

/** Rekor's SET payload: canonical JSON (RFC 8785) of these four fields, keys in sorted order as written here. */
function setPayload(entry: Entry, logIdHex: string): Buffer {
  const payload = {
    body: entry.canonicalizedBody.toString("base64"),
    integratedTime: Number(entry.integratedTime),
    logID: logIdHex,
    logIndex: Number(entry.logIndex),
  };
  return Buffer.from(JSON.stringify(payload), "utf8");
}

interface Recorded {
  sigs: string[];
  payloadHash: string | undefined;
}

function dsseRecorded(spec: NonNullable<EntryBody["spec"]>): Recorded {
  return { sigs: (spec.signatures ?? []).map((s) => s.signature ?? ""), payloadHash: spec.payloadHash?.value };
}

function intotoRecorded(spec: NonNullable<EntryBody["spec"]>): Recorded {
  // intoto entries hold each signature base64-encoded twice.
  const sigs = (spec.content?.envelope?.signatures ?? []).map((s) =>
    Buffer.from(s.sig ?? "", "base64").toString("utf8"),
  );
  return { sigs, payloadHash: spec.content?.payloadHash?.value };
}

/** The signatures (base64) and payload hash (hex SHA-256) the body records, by kind; a string says why not. */
function recorded(body: EntryBody): Recorded | string {
  const kind = `${String(body.kind)} ${String(body.apiVersion)}`;
  if (kind === "dsse 0.0.1") return dsseRecorded(body.spec ?? {});
  if (kind === "intoto 0.0.2") return intotoRecorded(body.spec ?? {});
  return `its body is a ${kind} entry (dsse 0.0.1 and intoto 0.0.2 are checked)`;
}

function parseBody(entry: Entry): EntryBody | undefined {
  try {
    return JSON.parse(entry.canonicalizedBody.toString("utf8")) as EntryBody;
  } catch {
    return undefined;
  }
}

/** Why the entry's body does not record this envelope, or undefined when it does. */
function bodyProblem(entry: Entry, envelope: Envelope): string | undefined {
  const body = parseBody(entry);
  if (body === undefined) return "its body is not JSON";
  if (body.kind !== entry.kindVersion?.kind || body.apiVersion !== entry.kindVersion?.version)
    return "its body's kind/apiVersion differ from the entry's kindVersion";
  const rec = recorded(body);
  if (typeof rec === "string") return rec;
  const sigs = envelope.signatures.map((s) => s.sig.toString("base64"));
  if (sigs.length !== rec.sigs.length || !sigs.every((s) => rec.sigs.includes(s)))
    return "its body records other signatures than the bundle's";
  if (rec.payloadHash !== createHash("sha256").update(envelope.payload).digest("hex"))
    return "its body records another payload hash than the bundle's";
  return undefined;
}

/** Why one entry fails, or undefined when its SET verifies with the log key it names and its body matches. */
function entryProblem(entry: Entry, envelope: Envelope, logKeys: readonly TrustedKey[]): string | undefined {
  const logIdHex = entry.logId?.keyId.toString("hex") ?? "";
  const key = logKeys.find((k) => k.fingerprint === `sha256:${logIdHex}`);
  if (key === undefined) return `it names log ${logIdHex || "(none)"}, none of the configured log keys`;
  const set = entry.inclusionPromise?.signedEntryTimestamp;
  if (set === undefined || set.length === 0)
    return "it carries no signed entry timestamp (inclusion proofs are not checked offline)";
  if (signingKey([key], setPayload(entry, logIdHex), set) === undefined)
    return `its signed entry timestamp does not verify with log key ${key.fingerprint}`;
  return bodyProblem(entry, envelope);
}

/** Why the bundle's transparency-log entries fail, or undefined when they pass. No log keys configured, or no
 * entries (offline signing writes none): nothing to check, the key signature alone decides. */
export function tlogProblem(
  bundle: Bundle,
  envelope: Envelope,
  logKeys: readonly TrustedKey[] | undefined,
): string | undefined {
  if (logKeys === undefined || logKeys.length === 0) return undefined;
  const entries: readonly Entry[] = bundle.verificationMaterial.tlogEntries;
  for (const [i, entry] of entries.entries()) {
    const problem = entryProblem(entry, envelope, logKeys);
    if (problem !== undefined) return `transparency-log entry ${i} (log index ${entry.logIndex}): ${problem}`;
  }
  return undefined;
}
