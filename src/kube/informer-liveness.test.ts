// Watch liveness over HTTP/1.1, where nothing but the watch's own bytes shows the peer is there: a watch that brings
// no event and no bookmark for the silence bound is dropped (its connection closed) and resumed from the last
// resourceVersion it saw, without a re-list; bookmarks alone keep a quiet watch alive. A real KubeClient against a
// small node:http stand-in of the API server; the partition itself is test/integration/faults-partition-apiserver.
import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "./kube-config.ts";
import { Informer } from "./informer.ts";
import { KubeClient } from "./rest-client.ts";
import { CONFIG_MAPS } from "./resource.ts";

interface Watch {
  resourceVersion: string | null;
  bookmarks: string | null;
  closedByClient: boolean;
  res: ServerResponse;
}

/** An API server stand-in: lists answer resourceVersion 10; `onWatch` decides what each watch sends. */
async function standIn(
  onWatch: (w: Watch, n: number) => void,
): Promise<{ server: Server; url: string; watches: Watch[]; lists: number[] }> {
  const watches: Watch[] = [];
  const lists: number[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.searchParams.get("watch") !== "true") {
      lists.push(Date.now());
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ metadata: { resourceVersion: "10" }, items: [] }));
      return;
    }
    const w: Watch = {
      resourceVersion: url.searchParams.get("resourceVersion"),
      bookmarks: url.searchParams.get("allowWatchBookmarks"),
      closedByClient: false,
      res,
    };
    res.on("close", () => (w.closedByClient = !res.writableEnded));
    watches.push(w);
    res.writeHead(200, { "content-type": "application/json" });
    onWatch(w, watches.length);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, watches, lists };
}

function clientFor(url: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses an http:// server unless told to skip TLS verification (there is none on plain HTTP).
    clusters: [{ name: "c", server: url, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return new KubeClient(kc);
}

const event = (type: string, rv: string): string =>
  `${JSON.stringify({ type, object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", resourceVersion: rv } } })}\n`;

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
});

describe("watch liveness", () => {
  it("a watch silent for the bound is dropped and resumed from its last resourceVersion, without a re-list", async () => {
    // The first watch sends one event and then nothing, without closing; later ones stay quiet too.
    const api = await standIn((w, n) => {
      if (n === 1) w.res.write(event("ADDED", "11"));
    });
    servers.push(api.server);
    const client = clientFor(api.url);
    const informer = new Informer(client, CONFIG_MAPS, {
      namespace: "ns",
      stallTimeoutMs: 300,
      backoffBaseMs: 10,
      resyncMs: 0,
    });
    informer.start();
    const started = Date.now();
    while (api.watches.length < 2 && Date.now() - started < 5_000) await sleep(20);
    await informer.stop();
    await client.close();
    assert.ok(api.watches.length >= 2, "the silent watch was never resumed");
    const [first, second] = api.watches as [Watch, Watch];
    assert.equal(first.bookmarks, "true", "the watch did not ask for bookmarks");
    assert.equal(first.resourceVersion, "10");
    assert.ok(first.closedByClient, "the silent watch's connection was left open");
    assert.equal(second.resourceVersion, "11", "not resumed from the last resourceVersion seen");
    assert.equal(api.lists.length, 1, "a silent watch led to a re-list");
    assert.ok(informer.get({ namespace: "ns", name: "a" }), "the event before the silence was lost");
  });

  it("bookmarks alone keep a quiet watch alive", async () => {
    let rv = 10;
    const timers: NodeJS.Timeout[] = [];
    const api = await standIn((w) => {
      timers.push(setInterval(() => w.res.write(event("BOOKMARK", String(++rv))), 100));
    });
    servers.push(api.server);
    const client = clientFor(api.url);
    const informer = new Informer(client, CONFIG_MAPS, {
      namespace: "ns",
      stallTimeoutMs: 300,
      backoffBaseMs: 10,
      resyncMs: 0,
    });
    informer.start();
    await sleep(1_500);
    await informer.stop();
    for (const t of timers) clearInterval(t);
    await client.close();
    assert.equal(api.watches.length, 1, "a watch that kept receiving bookmarks was dropped");
  });
});
