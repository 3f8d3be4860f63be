// ArtifactPull's engine session: one registry client (one connection pool) for a whole reconcile, which first
// resolves the spec's tag / digest / tag policy (resolve-tag.ts) and then, when the caller finds the digest new,
// pulls it (pull-artifact.ts) over the same client. The caller decides between the two steps ("already pulled?"
// and its status write), so the session is an object rather than one call; close it when done.
import type { TagPolicy } from "../harbor/tag-policy.ts";
import type { RegistryClient } from "../oci/client.ts";
import { Repository } from "../oci/repository.ts";
import { openRegistryClient, type RegistryConnection } from "./connection.ts";
import { pullFromRepository, type PullDestination, type PullOptions, type PullResult } from "./pull-artifact.ts";
import { resolveArtifact, type ResolvedArtifact } from "./resolve-tag.ts";
import { verifyInRepository, type SourceVerification, type TrustedKeySet } from "./verify-source.ts";

/** Where the artifact lives: `registry/project/repository`, and how to reach it. */
export interface ArtifactLocation {
  registry: string;
  project: string;
  repository: string;
  connection: RegistryConnection;
}

/** Which artifact of the repository: a digest, a tag, or a tag policy (newest pushed by default). */
export interface ArtifactQuery {
  tag?: string;
  digest?: string;
  tagPolicy?: TagPolicy;
  /** Skip signature, attestation and SBOM tags when a policy picks. */
  excludeSignatures: boolean;
  signal?: AbortSignal;
}

/** One reconcile's access to one repository; see the file comment. */
export class ArtifactSource {
  readonly #location: ArtifactLocation;
  readonly #client: RegistryClient;
  readonly #repo: Repository;

  constructor(location: ArtifactLocation) {
    const name = `${location.project}/${location.repository}`;
    this.#location = location;
    this.#client = openRegistryClient(location.registry, location.connection);
    try {
      this.#repo = new Repository(this.#client, name);
    } catch (err) {
      void this.#client.close();
      throw err;
    }
  }

  /** The digest the query means now (a tag costs one HEAD; a policy one Harbor listing, or image configs). */
  resolve(query: ArtifactQuery): Promise<ResolvedArtifact> {
    const { registry, project, repository, connection } = this.#location;
    return resolveArtifact({ ...query, repo: this.#repo, registry, project, repository, connection });
  }

  /** Pulls `digest` into `destination` over the session's client. */
  pull(digest: string, destination: PullDestination, options: PullOptions): Promise<PullResult> {
    return pullFromRepository(this.#repo, { digest }, destination, options);
  }

  /** Verifies `digest`'s signature with `keys` (spec.verify); throws a VerifyError when refused. */
  verify(digest: string, keys: TrustedKeySet, signal?: AbortSignal): Promise<SourceVerification> {
    return verifyInRepository(this.#repo, digest, keys, signal);
  }

  /** Closes the session's connection pool. */
  close(): Promise<void> {
    return this.#client.close();
  }
}

/** Opens a session on `location`; close it when done. */
export function openArtifactSource(location: ArtifactLocation): ArtifactSource {
  return new ArtifactSource(location);
}
