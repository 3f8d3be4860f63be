// Events through events.k8s.io/v1 (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/)
// with reason, action and note. A repeat of the same event on the same object becomes a `series` update of the
// first Event instead of a new object, and series updates are rate-limited so a hot loop cannot flood etcd.
import type { Logger } from "pino";
import type { Reason } from "../api/conditions.ts";
import type { ApiObject } from "../api/meta.ts";
import { errorMessage } from "./errors.ts";
import type { KubeClient } from "./rest-client.ts";
import { EVENTS, collectionPath, objectPath } from "./resource.ts";

/** Event type. */
export type EventType = "Normal" | "Warning";

/** Options of EventRecorder. */
export interface EventRecorderOptions {
  client: KubeClient;
  /** `reportingController`, e.g. "airlift.dev/imageimport". */
  controller: string;
  /** `reportingInstance`: this process's identity. */
  instance: string;
  log?: Logger;
  /** A repeat within this window joins the first Event's series (default 10 min). */
  seriesWindowMs?: number;
  /** At most one series write per event per this interval; repeats in between only count (default 10 s). */
  seriesUpdateMs?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstAt: number;
  lastWriteAt: number;
}

const MAX_NOTE = 1024;
const MAX_TRACKED = 4096;

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** One Event to record. */
export interface EventInput {
  type: EventType;
  /** PascalCase, machine-readable, one of the catalogue (e.g. `ImagePushed`). */
  reason: Reason;
  /** What the controller did or failed to do (e.g. `Import`). */
  action: string;
  /** Human-readable; truncated to 1 KiB. Never put credentials here. */
  note: string;
}

/** Records Events about objects; never throws (an Event is not worth failing a reconcile for). */
export class EventRecorder {
  readonly #opts: EventRecorderOptions;
  readonly #seen = new Map<string, Seen>();

  constructor(options: EventRecorderOptions) {
    this.#opts = options;
  }

  /** A recorder with the same client and instance, reporting as another controller. */
  forController(controller: string): EventRecorder {
    return new EventRecorder({ ...this.#opts, controller });
  }

  /** Emits (or counts into a series) one Event about `regarding`. Resolves to the Event's name, or undefined. */
  async event(regarding: ApiObject, input: EventInput, signal?: AbortSignal): Promise<string | undefined> {
    const { type, reason, action, note } = input;
    const namespace = regarding.metadata.namespace || "default";
    const text = note.length > MAX_NOTE ? `${note.slice(0, MAX_NOTE - 3)}...` : note;
    const key = [regarding.metadata.uid ?? `${namespace}/${regarding.metadata.name}`, type, reason, action, text].join(
      "\u0000",
    );
    const now = Date.now();
    try {
      const seen = this.#seen.get(key);
      if (seen && now - seen.firstAt < (this.#opts.seriesWindowMs ?? 10 * 60_000))
        return await this.#repeat(seen, now, signal);
      return await this.#create(key, regarding, { namespace, type, reason, action, note: text, now }, signal);
    } catch (err) {
      this.#opts.log?.warn({ reason, err: errorMessage(err) }, "failed to record event");
      return undefined;
    }
  }

  async #create(
    key: string,
    regarding: ApiObject,
    e: { namespace: string; type: EventType; reason: Reason; action: string; note: string; now: number },
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const name = `${regarding.metadata.name || "object"}.${(e.now * 1_000_000 + Math.floor(Math.random() * 1_000_000)).toString(16)}`;
    await this.#opts.client.request(collectionPath(EVENTS, e.namespace), {
      method: "POST",
      signal,
      timeoutMs: 10_000,
      body: {
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { name, namespace: e.namespace },
        eventTime: microTime(e.now),
        reportingController: this.#opts.controller,
        reportingInstance: this.#opts.instance,
        action: e.action,
        reason: e.reason,
        note: e.note,
        type: e.type,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          namespace: regarding.metadata.namespace,
          name: regarding.metadata.name,
          uid: regarding.metadata.uid,
          resourceVersion: regarding.metadata.resourceVersion,
        },
      },
    });
    if (this.#seen.size >= MAX_TRACKED) this.#seen.delete(this.#seen.keys().next().value ?? "");
    // lastWriteAt 0: the first repeat starts the series at once; later ones are rate-limited.
    this.#seen.set(key, { name, namespace: e.namespace, count: 1, firstAt: e.now, lastWriteAt: 0 });
    return name;
  }

  async #repeat(seen: Seen, now: number, signal: AbortSignal | undefined): Promise<string> {
    seen.count++;
    if (now - seen.lastWriteAt < (this.#opts.seriesUpdateMs ?? 10_000)) return seen.name;
    seen.lastWriteAt = now;
    await this.#opts.client.request(objectPath(EVENTS, { namespace: seen.namespace, name: seen.name }), {
      method: "PATCH",
      patchType: "merge",
      signal,
      timeoutMs: 10_000,
      body: { series: { count: seen.count, lastObservedTime: microTime(now) } },
    });
    return seen.name;
  }
}
