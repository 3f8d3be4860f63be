// Every fuzz target, for the unit suite (fixed seed) and `npm run fuzz` (long runs).
import { extractTarget } from "./extract.fuzz.ts";
import { imageArchiveTarget } from "./image-archive.fuzz.ts";
import { manifestTarget } from "./manifest.fuzz.ts";
import { pathsTarget } from "./paths.fuzz.ts";
import { referenceTarget } from "./reference.fuzz.ts";
import { tarTarget } from "./tar.fuzz.ts";
import type { FuzzTarget } from "./target.ts";
import { yamlTarget } from "./yaml.fuzz.ts";

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  referenceTarget,
  manifestTarget,
  tarTarget,
  imageArchiveTarget,
  pathsTarget,
  extractTarget,
  yamlTarget,
];
