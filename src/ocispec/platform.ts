// Platforms (`os/arch[/variant]`) as users write them and as image indexes carry them, and the one rule that
// picks a manifest of an index for a wanted platform.
// https://github.com/opencontainers/image-spec/blob/main/image-index.md#image-index-property-descriptions

/** The platform of a manifest in an index (or of an image config). */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

/**
 * Splits `os/arch[/variant]` (e.g. `linux/arm64/v8`). Lenient by design: a malformed text gives a platform that
 * matches nothing, so the caller reports "no manifest for <text>" with the index's platforms.
 */
export function parsePlatform(text: string): Platform {
  const [os = "", architecture = "", variant] = text.split("/");
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** `os/arch[/variant]`, or `?` for a descriptor without a platform. */
export function formatPlatform(platform: Platform | undefined): string {
  if (!platform) return "?";
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ""}`;
}

/** True when `candidate` is `want`: same os and architecture, and the same variant when `want` names one. */
export function platformMatches(candidate: Platform | undefined, want: Platform): boolean {
  return (
    candidate?.os === want.os &&
    candidate.architecture === want.architecture &&
    (!want.variant || candidate.variant === want.variant)
  );
}
