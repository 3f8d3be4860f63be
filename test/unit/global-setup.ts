// node --test global setup of the unit run: only the run's temp root (temp-root.ts), removed at the end.
import { useTempRoot, type TempRoot } from "../env/temp-root.ts";
import { teardownOnce } from "../env/teardown.ts";

let root: TempRoot | undefined;

export function globalSetup(): void {
  root = useTempRoot();
}

/** Removes the temp root and everything the unit tests left in it. */
export const globalTeardown = teardownOnce(
  () => root,
  () => undefined,
);
