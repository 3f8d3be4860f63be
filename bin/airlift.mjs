#!/usr/bin/env -S node --max-semi-space-size=2
// Runs the built CLI (dist/cli/main.js) when present, else the TypeScript sources directly (Node 24 strips types).
// --max-semi-space-size=2: a small young generation keeps streaming imports under 200 MiB RSS and, measured, makes
// them faster too (less scavenge copying of short-lived 64 KiB socket buffers); see `npm run bench`.
// The Node version is checked before the entry is imported: an older Node fails on that import (it cannot load
// TypeScript, nor the syntax and APIs the sources use) with a stack instead of a sentence. No top-level await and
// nothing newer than ES2017 here, so that the check itself runs on any Node that loads ES modules.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const MINIMUM_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);

if (major < MINIMUM_MAJOR) {
  process.stderr.write(`airlift needs Node.js ${MINIMUM_MAJOR} or newer; this is ${process.version}\n`);
  process.exitCode = 1;
} else {
  const built = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
  const source = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  const entry = existsSync(built) ? built : source;
  import(pathToFileURL(entry).href)
    .then(({ main }) =>
      main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }),
    )
    .then((code) => {
      process.exitCode = code;
    });
}
