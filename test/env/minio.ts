// MinIO as the S3 server, with a root access key / secret key pair the harness creates.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { request } from "undici";
import { freePort } from "./ports.ts";
import { startProcess, waitUntil } from "./process.ts";
import { toolPath } from "./tools.ts";

export interface MinioConnection {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface MinioEnv extends MinioConnection {
  stop(): Promise<void>;
}

/** An S3 client for a MinIO connection (path-style addressing, as MinIO on an IP needs). */
export function s3Client(conn: MinioConnection): S3Client {
  return new S3Client({
    endpoint: conn.endpoint,
    region: conn.region,
    forcePathStyle: true,
    credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
  });
}

export async function startMinio(workDir: string): Promise<MinioEnv> {
  mkdirSync(join(workDir, "data"), { recursive: true });
  const port = await freePort();
  const consolePort = await freePort();
  const accessKeyId = `airlift${randomBytes(6).toString("hex")}`;
  const secretAccessKey = randomBytes(20).toString("hex");
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = startProcess(
    "minio",
    toolPath("minio"),
    [
      "server",
      join(workDir, "data"),
      "--address",
      `127.0.0.1:${port}`,
      "--console-address",
      `127.0.0.1:${consolePort}`,
      "--quiet",
    ],
    join(workDir, "minio.log"),
    {
      env: {
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: "off",
        MINIO_UPDATE: "off",
      },
    },
  );
  await waitUntil(proc, "minio /minio/health/ready", async () => {
    const res = await request(`${endpoint}/minio/health/ready`);
    await res.body.dump();
    return res.statusCode === 200;
  });
  return { endpoint, region: "us-east-1", accessKeyId, secretAccessKey, stop: () => proc.stop() };
}
