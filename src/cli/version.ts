// `airlift version`: the package version, and the Node runtime it runs on.
import { readFileSync } from "node:fs";
import { EXIT_OK, type Command } from "./command.ts";

/** The version from package.json (two levels up from src/cli or dist/cli). */
export function airliftVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const version = pkg && typeof pkg === "object" && "version" in pkg ? pkg.version : undefined;
  return typeof version === "string" ? version : "unknown";
}

export const command: Command = {
  name: "version",
  summary: "print the version",
  usage: "Usage: airlift version\n\nPrints airlift's version and the Node.js version.\n",
  run: (_argv, io) => {
    io.stdout.write(`airlift ${airliftVersion()} (node ${process.version})\n`);
    return Promise.resolve(EXIT_OK);
  },
};
