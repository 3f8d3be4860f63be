// `airlift version`: the package version, and the Node runtime it runs on.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { EXIT_OK, type CliContext } from "./command.ts";

/** The version from package.json (two levels up from src/cli or dist/cli). */
export function airliftVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const version = pkg && typeof pkg === "object" && "version" in pkg ? pkg.version : undefined;
  return typeof version === "string" ? version : "unknown";
}

/** The `version` command. */
export function command(ctx: CliContext): Command {
  return new Command("version").description("Print airlift's version and the Node.js version.").action(() => {
    ctx.io.stdout.write(`airlift ${airliftVersion()} (node ${process.version})\n`);
    ctx.exitCode = EXIT_OK;
  });
}
