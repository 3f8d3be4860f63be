// A plain HTTP pass-through in front of the registry or MinIO that tells the test which requests completed and how,
// so a test can count what was written (headers, Host included, go through unchanged: S3 signatures stay valid), and
// may answer some requests itself (a registry failing for a while).
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { freePort } from "../env/index.ts";

export interface CountingProxy {
  /** host:port to give the operator instead of the upstream's. */
  host: string;
  close(): Promise<void>;
}

/**
 * Forwards to `upstream` (http://host:port); `onAnswer` sees each forwarded request with the upstream's status code.
 * `intercept`, when it returns true, has answered the request itself and nothing is forwarded.
 */
export async function startCountingProxy(
  upstream: string,
  onAnswer: (req: IncomingMessage, status: number) => void,
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<CountingProxy> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    if (intercept?.(req, res)) return;
    const proxied = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        onAnswer(req, up.statusCode ?? 502);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    proxied.on("error", () => res.destroy());
    req.pipe(proxied);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The registry's "upload committed" answer: `PUT .../blobs/uploads/...?digest=` with 201. Returns `repo@digest`. */
export function committedBlob(req: IncomingMessage, status: number): string | undefined {
  const url = new URL(req.url ?? "/", "http://x");
  const digest = url.searchParams.get("digest");
  const repo = /^\/v2\/(.+)\/blobs\/uploads\//.exec(url.pathname)?.[1];
  return req.method === "PUT" && status === 201 && digest && repo ? `${repo}@${digest}` : undefined;
}
