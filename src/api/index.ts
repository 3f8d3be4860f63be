// The airlift API: group/version, the three kinds' types, defaults, conditions, durations and narrowing.
export * from "./group-version.ts";
export * from "./meta.ts";
export * from "./conditions.ts";
export * from "./duration.ts";
export * from "./image-import.ts";
export * from "./artifact-pull.ts";
export * from "./oci-sync.ts";
export { InvalidObjectError, objectIssues, parseArtifactPull, parseImageImport, parseOciSync } from "./parse.ts";
export { formatIssues, type Issue } from "./validate.ts";
export { customResourceDefinition, crdYaml, crdFileName } from "./crds.ts";
