// The error body registries and Harbor send with an error status, `{"errors":[{code,message,detail}]}`
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes; Harbor's API uses the same
// shape), read with a bound and turned into the one message shape every client's errors use.
import type { Readable } from "node:stream";
import { readBounded } from "./bounded-read.ts";

/** One entry of the `{"errors":[{code,message}]}` body. */
export interface ErrorBodyEntry {
  code: string;
  message: string;
}

/** The most of an error body read: a longer one says nothing useful and is dropped. */
const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * Narrows `{"errors":[{code,message}]}`; anything else gives an empty list. Codes and messages end up in conditions
 * and logs, so both are kept short.
 */
export function parseErrorsBody(text: string): ErrorBodyEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const errors = typeof doc === "object" && doc !== null ? (doc as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e: unknown) => {
    if (typeof e !== "object" || e === null) return [];
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code !== "string") return [];
    return [{ code: code.slice(0, 64), message: typeof message === "string" ? message.slice(0, 300) : "" }];
  });
}

/** Reads an error body (at most `limit` bytes) and narrows it; an unreadable, oversized or other body gives []. */
export async function readErrorBody(body: Readable, limit: number = ERROR_BODY_LIMIT): Promise<ErrorBodyEntry[]> {
  if (!body.readable) return [];
  try {
    const bytes = await readBounded(body, limit);
    return bytes ? parseErrorsBody(bytes.toString("utf8")) : [];
  } catch {
    return [];
  }
}

/** `failed to <what>: status 404: NOT_FOUND (repository p/r not found)`: the server's first code and message, if any. */
export function statusFailureMessage(what: string, status: number, details: readonly ErrorBodyEntry[]): string {
  const first = details[0];
  const suffix = first ? `: ${first.code}${first.message ? ` (${first.message})` : ""}` : "";
  return `failed to ${what}: status ${status}${suffix}`;
}
