/**
 * `Repository`: one repository of a registry, with its blob, manifest and tag stores and its referrers.
 */
import type { CallOptions } from "../ocispec/content.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import type { Digest } from "../ocispec/digest.ts";
import { BlobStore } from "./blobs.ts";
import { RegistryClient, type ClientOptions, type RepositoryContext } from "./client.ts";
import { ManifestStore } from "./manifests.ts";
import { parseReference, validateRepository, type Reference } from "./reference.ts";
import { listReferrers, registerReferrer, type ReferrersOptions } from "./referrers.ts";
import { TagStore } from "./tags.ts";

export class Repository {
  readonly client: RegistryClient;
  readonly name: string;
  readonly #ctx: RepositoryContext;
  readonly #blobs: BlobStore;
  readonly #manifests: ManifestStore;
  readonly #tags: TagStore;

  constructor(client: RegistryClient, name: string) {
    validateRepository(name);
    this.client = client;
    this.name = name;
    this.#ctx = { client, repository: name };
    this.#blobs = new BlobStore(this.#ctx);
    this.#manifests = new ManifestStore(this.#ctx);
    this.#tags = new TagStore(this.#ctx);
  }

  blobs(): BlobStore {
    return this.#blobs;
  }

  manifests(): ManifestStore {
    return this.#manifests;
  }

  tags(): TagStore {
    return this.#tags;
  }

  /** Manifests that name `digest` as their subject. */
  referrers(digest: Digest | string, options: ReferrersOptions = {}): Promise<Descriptor[]> {
    return listReferrers(this.#ctx, digest, options);
  }

  /** Makes a pushed referrer of `subject` findable (referrers API, or the tag schema where there is none). */
  registerReferrer(
    subject: Digest | string,
    referrer: Descriptor,
    options: CallOptions = {},
  ): Promise<"referrers-api" | "tag-schema"> {
    return registerReferrer(this.#ctx, subject, referrer, options);
  }

  /** `GET /v2/` on the registry. */
  ping(options: CallOptions = {}): Promise<void> {
    return this.client.ping(options);
  }
}

/** Parses `registry/repo[:tag][@digest]` and opens a client for its registry; close `repository.client` when done. */
export function openRepository(
  reference: string,
  options: Omit<ClientOptions, "registry"> = {},
): { repository: Repository; reference: Reference } {
  const ref = parseReference(reference);
  const client = new RegistryClient({ ...options, registry: ref.registry });
  return { repository: new Repository(client, ref.repository), reference: ref };
}
