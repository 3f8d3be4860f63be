// Typed errors of the engine's own choices about content: which tag a semver range picks, which manifest of an
// index serves the platform, which layer a selector means. Registry, archive and storage failures keep their own
// classes; these are the ones no adapter can raise. Each has a stable `code` (src/net/coded-error.ts), and none is
// transient: a new push or a spec change fixes them, waiting alone does not.
import { CodedError } from "../net/coded-error.ts";

/** An image index holds no manifest for the requested platform. */
export class PlatformNotFoundError extends CodedError {
  constructor(message: string) {
    super(message, "PLATFORM_NOT_FOUND", false);
  }
}

/** An index entry chosen for the platform is itself an index: airlift does not follow indexes of indexes. */
export class NestedIndexError extends CodedError {
  constructor(message: string) {
    super(message, "MANIFEST_UNSUPPORTED", false);
  }
}

/** A layer selector names a media type no layer of the manifest has. */
export class LayerNotFoundError extends CodedError {
  constructor(message: string) {
    super(message, "LAYER_NOT_FOUND", false);
  }
}

/** No tag of the repository satisfies the semver range. */
export class NoMatchingSemverTagError extends CodedError {
  constructor(message: string) {
    super(message, "NO_MATCHING_TAG", false);
  }
}
