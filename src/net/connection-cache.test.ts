// The shared connection cache over real undici Agents: one pool per key, a new one for other credentials or a changed
// site trust, bounded size and idle eviction that close what they drop, nothing shared until enabled, and keys that
// carry a hash of the credentials, never the credentials.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, it } from "node:test";
import type { Agent } from "undici";
import { createAgent } from "./agents.ts";
import { ConnectionCache, secretIdentity, settingsIdentity, type Lease } from "./connection-cache.ts";
import { siteTrust } from "./trust.ts";

const caches: ConnectionCache[] = [];

function cache(options?: { maxEntries?: number; idleMs?: number }): ConnectionCache {
  const c = new ConnectionCache();
  if (options) c.enable(options);
  caches.push(c);
  return c;
}

/** A key as the transfer layer builds one: endpoint, credentials' hash, trust. */
const keyOf = (endpoint: string, password: string): string =>
  `registry ${endpoint} credentials=${secretIdentity("user", password)} ${settingsIdentity({})}`;

const lease = (c: ConnectionCache, key: string): Lease<Agent> =>
  c.acquire(
    key,
    () => createAgent(),
    (agent) => agent.close(),
  );

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  siteTrust.set(undefined);
});

describe("connection cache", () => {
  it("disabled (the CLI): every lease gets a pool of its own, closed on release", async () => {
    const c = cache();
    const a = lease(c, keyOf("r.example", "p"));
    const b = lease(c, keyOf("r.example", "p"));
    assert.notEqual(a.value, b.value);
    await a.release();
    assert.equal(a.value.closed, true);
    assert.equal(b.value.closed, false);
    await b.release();
    assert.equal(c.size, 0);
  });

  it("same endpoint, credentials and trust: the same pool, kept open after its users release it", async () => {
    const c = cache({});
    const a = lease(c, keyOf("r.example", "p"));
    const b = lease(c, keyOf("r.example", "p"));
    assert.equal(a.value, b.value);
    await a.release();
    await a.release(); // idempotent: b still holds it
    await b.release();
    assert.equal(a.value.closed, false);
    assert.equal(lease(c, keyOf("r.example", "p")).value, a.value);
  });

  it("other credentials or another endpoint: another pool; the key holds a hash, not the password", async () => {
    const c = cache({});
    const key = keyOf("r.example", "s3cret-password");
    assert.ok(!key.includes("s3cret-password"), key);
    const base = lease(c, key).value;
    assert.notEqual(lease(c, keyOf("r.example", "other")).value, base);
    assert.notEqual(lease(c, keyOf("q.example", "s3cret-password")).value, base);
    assert.equal(c.size, 3);
  });

  it("a changed site trust bundle: new pools; an idle old one closes at once, a busy one when released", async () => {
    const c = cache({});
    const idle = lease(c, keyOf("r.example", "p"));
    await idle.release();
    const busy = lease(c, keyOf("q.example", "p"));
    assert.equal(
      siteTrust.set({ pem: "-----BEGIN CERTIFICATE-----", origin: "ConfigMap t/ca", certificates: 1 }),
      true,
    );
    const fresh = lease(c, keyOf("r.example", "p"));
    assert.notEqual(fresh.value, idle.value);
    await sleep(10);
    assert.equal(idle.value.closed, true);
    assert.equal(busy.value.closed, false);
    await busy.release();
    assert.equal(busy.value.closed, true);
    assert.equal(c.size, 1);
  });

  it("idle pools close after idleMs", async () => {
    const c = cache({ idleMs: 50 });
    const a = lease(c, keyOf("r.example", "p"));
    await a.release();
    await sleep(80);
    const b = lease(c, keyOf("q.example", "p"));
    await sleep(10);
    assert.equal(a.value.closed, true);
    assert.equal(b.value.closed, false);
    assert.equal(c.size, 1);
  });

  it("bounded: the least recently used idle pool makes room; when all are busy a caller gets its own", async () => {
    const c = cache({ maxEntries: 2 });
    const a = lease(c, keyOf("a.example", "p"));
    await a.release();
    const b = lease(c, keyOf("b.example", "p"));
    const third = lease(c, keyOf("c.example", "p"));
    await sleep(10);
    assert.equal(a.value.closed, true, "the idle pool was closed to make room");
    assert.equal(c.size, 2);
    const overflow = lease(c, keyOf("d.example", "p"));
    assert.equal(c.size, 2, "b and c are busy: d is not kept");
    await overflow.release();
    assert.equal(overflow.value.closed, true);
    await Promise.all([b.release(), third.release()]);
    assert.equal(b.value.closed, false);
  });

  it("close() closes every pool and stops sharing", async () => {
    const c = cache({});
    const a = lease(c, keyOf("r.example", "p"));
    await a.release();
    await c.close();
    assert.equal(a.value.closed, true);
    assert.equal(c.size, 0);
    const b = lease(c, keyOf("r.example", "p"));
    await b.release();
    assert.equal(b.value.closed, true);
  });
});
