// One passing test, so the runner has something to run before its global teardown.
import { it } from "node:test";

it("passes", () => undefined);
