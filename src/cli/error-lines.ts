// How an error reads on the terminal: one line saying what went wrong and what to fix. Usage mistakes get a second
// line pointing at the command's help instead of the whole help text. Pure functions, tested beside.

/** commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line without its "error: " prefix. */
export function commanderMessage(text: string): string {
  return text
    .replace(/^error:\s*/i, "")
    .replace(/\s*\n\s*\(Did you mean (.*)\)\s*$/, " (did you mean $1)")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

/** The two lines of a usage error. */
export function usageLines(path: string, message: string): string {
  return `${path}: ${message}\nsee \`${path} --help\`\n`;
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // Node reports a refused connection to every address of a name as an AggregateError with an empty message.
  if (!err.message && err instanceof AggregateError && err.errors[0] instanceof Error) return messageOf(err.errors[0]);
  const code = (err as { code?: unknown }).code;
  return err.message || (typeof code === "string" ? code : err.name);
}

/** Any error as one line: its message, and its cause's when that says more. */
export function errorLine(err: unknown): string {
  let text = messageOf(err);
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause !== undefined) {
    const more = messageOf(cause);
    if (more && !text.includes(more)) text = `${text}: ${more}`;
  }
  return text.replace(/\s*\n\s*/g, "; ").trim();
}
