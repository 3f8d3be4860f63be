// Construction of S3 clients for any S3-compatible endpoint (MinIO, Ceph RGW, AWS), with an optional private CA
// or, when explicitly asked, no TLS verification. SDK retries are off: this layer retries by its own policy so a
// broken body stream and a failed request are handled alike.
import { Agent as HttpsAgent } from "node:https";
import { Agent as HttpAgent } from "node:http";
import { S3Client } from "@aws-sdk/client-s3";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import { guardedHttpAgent, guardedHttpsAgent } from "../net/guarded-connector.ts";

/** Where and how to reach a bucket store. Credentials come from a Secret; they are never logged. */
export interface S3ConnectionConfig {
  endpoint: string;
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which MinIO and IP endpoints need. */
  forcePathStyle?: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** PEM bundle of the CA(s) that sign the endpoint's certificate. */
  caPem?: string;
  /** Accept any certificate. Only for tests and explicitly insecure setups. */
  insecureSkipTLSVerify?: boolean;
  /** Connect timeout in ms (default 10,000). */
  connectTimeoutMs?: number;
  /** Per-request timeout while waiting for response headers, in ms (default 60,000). */
  requestTimeoutMs?: number;
  /** Sockets per client (default 16). */
  maxSockets?: number;
  /** The operator's SSRF policy, applied to every connection; everything when absent. */
  endpointPolicy?: EndpointPolicy;
}

/** A client for `config`. Destroy it with `client.destroy()` when done. */
export function createS3Client(config: S3ConnectionConfig): S3Client {
  const maxSockets = config.maxSockets ?? 16;
  const policy = config.endpointPolicy;
  policy?.checkUrl(config.endpoint);
  const httpsOptions = {
    keepAlive: true,
    maxSockets,
    ...(config.caPem ? { ca: config.caPem } : {}),
    ...(config.insecureSkipTLSVerify ? { rejectUnauthorized: false } : {}),
  };
  const httpsAgent = policy ? guardedHttpsAgent(policy, httpsOptions) : new HttpsAgent(httpsOptions);
  const httpAgent = policy ? guardedHttpAgent(policy, { keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region ?? "us-east-1",
    forcePathStyle: config.forcePathStyle ?? true,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
    },
    maxAttempts: 1,
    // Checksums of streamed uploads would need the whole body first; S3-compatible stores vary in support.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      httpsAgent,
      httpAgent,
      connectionTimeout: config.connectTimeoutMs ?? 10_000,
      requestTimeout: config.requestTimeoutMs ?? 60_000,
    },
  });
}
