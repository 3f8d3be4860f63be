// Signature verification as the engine's steps use it (spec.verify, --verify-key): trusted keys from PEM texts, one
// digest verified in a repository, the ImageImport hook that verifies before a tag is written, and a cache so a
// digest already verified with the same key set is not fetched and checked again every period.
import { createHash } from "node:crypto";
import { Repository } from "../oci/repository.ts";
import type { Digest } from "../ocispec/digest.ts";
import { parsePublicKeys, verifyImage, VerifyError, type TrustedKey } from "../verify/index.ts";
import { openRegistryClient, openRepositoryOf, type RegistryConnection } from "./connection.ts";
import type { BeforeTagHook } from "./import-unit.ts";

/** PEM text and where it came from (`Secret ns/name key cosign.pub`, a file), for error messages. */
export interface KeyMaterial {
  origin: string;
  pem: string;
}

/** The keys a verification trusts, and an id of the set (the same keys, the same id). */
export interface TrustedKeySet {
  keys: readonly TrustedKey[];
  /** Transparency-log keys a bundle's log entries must verify with; none: log entries are ignored. */
  logKeys?: readonly TrustedKey[];
  id: string;
}

/** What status and the CLI say about a verified digest. */
export interface SourceVerification {
  /** The verified image or index digest. */
  digest: string;
  /** `sha256:<hex>` of the trusted key's SubjectPublicKeyInfo. */
  keyFingerprint: string;
  keyKind: string;
  /** The signature manifest (`.sig` tag or bundle referrer) that verified. */
  signatureDigest: string;
  format: "simple-signing" | "bundle";
  /** Where it was verified (`registry/repository`). */
  where: string;
}

/** Every key of every PEM text; a text with no usable key is refused with its origin named. */
export function trustedKeys(material: readonly KeyMaterial[]): TrustedKeySet {
  if (material.length === 0) throw new VerifyError("no public key given", "SignatureKeyUnknown");
  const keys = material.flatMap((m) => {
    try {
      return parsePublicKeys(m.pem);
    } catch (err) {
      const code = err instanceof VerifyError ? err.code : "SignatureKeyUnknown";
      throw new VerifyError(`${m.origin}: ${(err as Error).message}`, code);
    }
  });
  const id = createHash("sha256")
    .update([...new Set(keys.map((k) => k.fingerprint))].sort().join(","))
    .digest("hex");
  return { keys, id };
}

/** `set` whose bundles' transparency-log entries must verify with `log`'s keys (a new id: another verification). */
export function withLogKeys(set: TrustedKeySet, log: TrustedKeySet | undefined): TrustedKeySet {
  if (log === undefined) return set;
  const id = createHash("sha256").update(`${set.id}|tlog:${log.id}`).digest("hex");
  return { keys: set.keys, logKeys: log.keys, id };
}

/** Verifies `digest` in `repository`; throws a VerifyError with the refusal's reason. */
export async function verifyInRepository(
  repository: Repository,
  digest: string,
  keys: TrustedKeySet,
  signal?: AbortSignal,
): Promise<SourceVerification> {
  const v = await verifyImage({
    repository,
    subject: digest as Digest,
    keys: keys.keys,
    logKeys: keys.logKeys,
    ...(signal ? { signal } : {}),
  });
  return {
    digest,
    keyFingerprint: v.accepted.key.fingerprint,
    keyKind: v.accepted.key.kind,
    signatureDigest: v.accepted.source,
    format: v.accepted.format,
    where: `${repository.client.registry}/${repository.name}`,
  };
}

/** Resolves `reference` (`registry/repository[:tag][@digest]`) and verifies its digest. */
export async function verifyReference(
  reference: string,
  connection: RegistryConnection,
  keys: TrustedKeySet,
  signal?: AbortSignal,
): Promise<SourceVerification> {
  const opened = openRepositoryOf(reference, connection);
  try {
    const target = opened.reference.digest ?? opened.reference.tag ?? "latest";
    const digest = (await opened.repository.manifests().resolve(target, signal ? { signal } : {})).digest;
    return await verifyInRepository(opened.repository, digest, keys, signal);
  } finally {
    await opened.close();
  }
}

/** Digests verified with a key set, remembered so a period's re-check costs nothing (bounded; forgetting is safe). */
export class VerifiedDigests {
  readonly #done = new Map<string, SourceVerification>();

  /** The verification of `digest` with `keys`, from memory or by verifying it now. */
  async verify(
    keys: TrustedKeySet,
    digest: string,
    check: () => Promise<SourceVerification>,
  ): Promise<SourceVerification> {
    const key = `${digest}|${keys.id}`;
    const known = this.#done.get(key);
    if (known) return known;
    const v = await check();
    if (this.#done.size >= 10_000) this.#done.clear();
    this.#done.set(key, v);
    return v;
  }
}

/** Keys and the cache of a sync that verifies every digest it resolves. */
export interface SyncVerify {
  keys: TrustedKeySet;
  cache: VerifiedDigests;
}

/** Verifies `digest` unless the cache holds it for the same key set. */
export function verifyCached(
  repository: Repository,
  digest: string,
  verify: SyncVerify,
  signal?: AbortSignal,
): Promise<SourceVerification> {
  return verify.cache.verify(verify.keys, digest, () => verifyInRepository(repository, digest, verify.keys, signal));
}

/** An import's hook: every unit is verified in its first repository before its tags are written. */
export function verifyBeforeTag(options: {
  registry: string;
  connection: RegistryConnection;
  keys: TrustedKeySet;
  onVerified: (v: SourceVerification) => void;
}): BeforeTagHook {
  return async (unit) => {
    const client = openRegistryClient(options.registry, options.connection);
    try {
      const repository = new Repository(client, unit.repositories[0] ?? "");
      options.onVerified(await verifyInRepository(repository, unit.descriptor.digest, options.keys, unit.signal));
    } finally {
      await client.close();
    }
  };
}
