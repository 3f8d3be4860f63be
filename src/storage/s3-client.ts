// Construction of S3 clients for any S3-compatible endpoint (MinIO, Ceph RGW, AWS), on net's agents (a private CA
// added to the system roots or, when explicitly asked, no TLS verification; the endpoint policy on every socket).
// SDK retries are off: this layer retries by net's rule (retry.ts) so a broken body stream and a failed request
// are handled alike.
import { S3Client } from "@aws-sdk/client-s3";
import { createNodeAgents, type ConnectionSettings } from "../net/agents.ts";
import { CONNECT_TIMEOUT_MS, TRANSFER_IDLE_TIMEOUT_MS } from "../net/network-bounds.ts";

/**
 * Where and how to reach a bucket store (CA bundle, TLS opt-out and SSRF policy: ConnectionSettings). Credentials
 * come from a Secret; they are never logged.
 */
export interface S3ConnectionConfig extends ConnectionSettings {
  endpoint: string;
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which MinIO and IP endpoints need. */
  forcePathStyle?: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Connect timeout in ms (default CONNECT_TIMEOUT_MS, src/net/network-bounds.ts). */
  connectTimeoutMs?: number;
  /** Per-request timeout while waiting for response headers, in ms (default 60,000). */
  requestTimeoutMs?: number;
  /** Sockets per client (default 16). */
  maxSockets?: number;
}

/** A client for `config`. Destroy it with `client.destroy()` when done. */
export function createS3Client(config: S3ConnectionConfig): S3Client {
  config.endpointPolicy?.checkUrl(config.endpoint);
  const { httpAgent, httpsAgent } = createNodeAgents({ ...config, connections: config.maxSockets ?? 16 });
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region ?? "us-east-1",
    forcePathStyle: config.forcePathStyle ?? true,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      sessionToken: config.sessionToken,
    },
    maxAttempts: 1,
    // Checksums of streamed uploads would need the whole body first; S3-compatible stores vary in support.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      httpsAgent,
      httpAgent,
      connectionTimeout: config.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      requestTimeout: config.requestTimeoutMs ?? 60_000,
      // The SDK's requestTimeout only warns; a socket that moves no byte (a silent partition) must fail the request.
      socketTimeout: TRANSFER_IDLE_TIMEOUT_MS,
    },
  });
}
