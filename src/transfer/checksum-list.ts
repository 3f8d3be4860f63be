// The checksum list a platform admin drops next to the archives (`sha256sum *.tar > SHA256SUMS`): GNU's text and
// binary lines (`<hex>  name`, `<hex> *name`, backslash-escaped names) and the BSD/`--tag` form
// (`SHA256 (name) = <hex>`). Names are relative to the list's folder; `./` in front is dropped.
import { CodedError } from "../net/coded-error.ts";

/** The list's file name in a drop-box prefix, and its detached signature's. */
export const CHECKSUM_LIST = "SHA256SUMS";
export const CHECKSUM_SIGNATURE = "SHA256SUMS.sig";

/** A checksum list that cannot be read: nothing under it is imported until it is fixed. */
export class ChecksumListError extends CodedError {
  constructor(message: string) {
    super(message, "CHECKSUM_LIST_INVALID", false);
  }
}

const GNU = /^(\\?)([0-9a-fA-F]{64}) [ *](.+)$/;
const BSD = /^(\\?)SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/;

/** Undoes sha256sum's escaping of `\` and newlines in names (lines that start with a backslash). */
function unescapeName(name: string): string {
  return name.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
}

function normalize(name: string): string {
  return name.startsWith("./") ? name.slice(2) : name;
}

/** One line as name and digest, or undefined when it has neither shape. */
function parseLine(line: string): { name: string; hex: string } | undefined {
  const gnu = GNU.exec(line);
  if (gnu) return { name: nameOf(gnu[1] === "\\", gnu[3] ?? ""), hex: (gnu[2] ?? "").toLowerCase() };
  const bsd = BSD.exec(line);
  if (bsd) return { name: nameOf(bsd[1] === "\\", bsd[2] ?? ""), hex: (bsd[3] ?? "").toLowerCase() };
  return undefined;
}

function nameOf(escaped: boolean, raw: string): string {
  return normalize(escaped ? unescapeName(raw) : raw);
}

/** Parses a SHA256SUMS text into name → lowercase hex digest; blank lines and `#` comments are skipped. */
export function parseChecksumList(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const parsed = parseLine(line);
    if (!parsed)
      throw new ChecksumListError(
        `${CHECKSUM_LIST} line ${i + 1} is not "<sha256 hex>  <name>" nor "SHA256 (<name>) = <hex>"`,
      );
    const previous = sums.get(parsed.name);
    if (previous !== undefined && previous !== parsed.hex)
      throw new ChecksumListError(`${CHECKSUM_LIST} lists ${parsed.name} twice with different digests (line ${i + 1})`);
    sums.set(parsed.name, parsed.hex);
  }
  return sums;
}
