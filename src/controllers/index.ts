// The controllers the operator runs. Reconciler authors add one factory per kind to CONTROLLERS; the operator
// command builds each with the manager's shared dependencies (deps.ts) and adds it to the manager.
import { createArtifactPullController } from "./artifact-pull.ts";
import type { ControllerFactory } from "./deps.ts";
import { createImageImportController } from "./image-import.ts";
import { createOciSyncController } from "./oci-sync.ts";

/** Every controller the operator runs, in start order. */
export const CONTROLLERS: ControllerFactory[] = [
  createImageImportController,
  createArtifactPullController,
  createOciSyncController,
];
