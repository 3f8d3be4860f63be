// The flags of `airlift operator` and their environment fallbacks (flags win), resolved into one settings object.
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { Command, Option } from "commander";
import { SiteDefaults } from "../controllers/defaults.ts";
import { GDC_DNS_SUFFIX_CONFIGMAP, GDC_HARBOR_CLUSTER, configMapRef } from "../controllers/site-discovery.ts";
import { SITE_PROFILES, secretSourceNamespaces } from "../controllers/site-profile.ts";
import { parseCaBundleSource, type CaBundleSource } from "../controllers/site-trust.ts";
import { parseSecretKeySource, type SecretKeySource } from "../controllers/site-admin-cluster.ts";
import { UsageError, durationArg, envBool, parsePositiveInt } from "./command.ts";
import { addKubeFlags, type KubeFlags } from "./kube-flags.ts";

const NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The shard label (Flux's sharding.fluxcd.io/key convention): its value names the operator instance that owns an object. */
export const SHARD_LABEL = "sharding.airlift.dev/key";

/** Flag values as commander hands them over (durations already in milliseconds). */
export interface OperatorFlags extends KubeFlags {
  namespace?: string;
  watchNamespace?: string;
  watchLabelSelector?: string;
  leaderElect?: boolean;
  leaderElectionId: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  identity?: string;
  workers?: string;
  metricsAddr?: string;
  healthAddr?: string;
  allowCrossNamespaceSecrets?: boolean;
  secretSourceNamespaces?: string;
  siteProfile?: string;
  shutdownTimeout: number;
  logLevel?: string;
  defaultRegistry?: string;
  defaultS3Endpoint?: string;
  dnsSuffix?: string;
  siteDnsSuffixConfigmap?: string;
  siteHarborCluster?: string;
  siteAdminKubeconfigSecret?: string;
  siteDiscovery?: boolean;
  caBundle?: string;
  workDir?: string;
  kustomize?: string;
  syncMaxObjects?: string;
  allowLoopbackEndpoints?: boolean;
  allowLinkLocalEndpoints?: boolean;
}

/** The operator's resolved settings. */
export interface OperatorConfig {
  kubeconfig: string | undefined;
  context: string | undefined;
  namespace: string;
  watchNamespace: string | undefined;
  /** Label selector of the objects this instance reconciles (its shard); undefined: all. */
  watchLabelSelector: string | undefined;
  leaderElect: boolean;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  workers: number;
  metricsAddr: string | undefined;
  healthAddr: string | undefined;
  allowCrossNamespaceSecrets: boolean;
  /** Namespaces whose Secrets may be granted to others by their airlift.dev/allowed-namespaces annotation. */
  secretSourceNamespaces: string[];
  /** The site profile whose defaults apply ("none" when not set). */
  siteProfile: string;
  shutdownTimeoutMs: number;
  logLevel: string | undefined;
  /** Registry / S3 defaults; a discovered DNS suffix updates them while the operator runs. */
  defaults: SiteDefaults;
  /** `namespace/name` of the ConfigMap holding the site's DNS suffix; undefined: no discovery. */
  dnsSuffixConfigMap: string | undefined;
  /** `namespace/name` of the HarborCluster whose spec.externalURL gives the default registry; undefined: none. */
  harborCluster: string | undefined;
  /** The Secret holding the admin cluster's kubeconfig, where the HarborCluster is read; undefined: own cluster. */
  adminKubeconfig: SecretKeySource | undefined;
  /** The operator-wide CA bundle, watched and added to the system roots of every connection; undefined: none. */
  caBundle: CaBundleSource | undefined;
  allowLoopbackEndpoints: boolean;
  allowLinkLocalEndpoints: boolean;
  /** The kustomize binary OciSync renders with; undefined: rendering off (`--kustomize ""`). */
  kustomize: string | undefined;
  /** Most objects (and manifest files) one OciSync may hold. */
  syncMaxObjects: number;
}

/** Default of --sync-max-objects: generous, still a bound on what one sync holds in memory. */
export const DEFAULT_SYNC_MAX_OBJECTS = 100_000;

/** Where the image puts kustomize (Dockerfile). */
export const DEFAULT_KUSTOMIZE = "/usr/local/bin/kustomize";

const duration = (flags: string, description: string, fallback: number, shown: string): Option =>
  new Option(flags, description).argParser(durationArg).default(fallback, shown);

/** Adds the operator's flags (environment fallback in brackets) to `cmd`. */
export function addOperatorFlags(cmd: Command): Command {
  return cmd
    .option(
      "--namespace <namespace>",
      'the operator\'s own namespace, holds the leader Lease [POD_NAMESPACE; in-cluster namespace file; "airlift-system"]',
    )
    .option(
      "--watch-namespace <namespace>",
      "reconcile objects of this namespace only (default: all) [AIRLIFT_WATCH_NAMESPACE]",
    )
    .option(
      "--watch-label-selector <selector>",
      `reconcile only objects matching this label selector, e.g. "${SHARD_LABEL}=shard1" for a shard or "!${SHARD_LABEL}" for the main instance (default: all) [AIRLIFT_WATCH_LABEL_SELECTOR]`,
    )
    .option("--leader-elect", "run leader election so only one replica reconciles [AIRLIFT_LEADER_ELECT]")
    .option("--leader-election-id <name>", "name of the Lease", "airlift-leader")
    .addOption(duration("--lease-duration <duration>", "how long a lease is valid without renewal", 15_000, "15s"))
    .addOption(
      duration("--renew-deadline <duration>", "how long the leader retries renewing before giving up", 10_000, "10s"),
    )
    .addOption(duration("--retry-period <duration>", "how often candidates retry and the leader renews", 2_000, "2s"))
    .option("--identity <name>", "this replica's identity [POD_NAME; hostname] plus a random suffix")
    .option("--workers <n>", "concurrent reconciles per controller (default: 2) [AIRLIFT_WORKERS]")
    .option(
      "--metrics-addr <host:port>",
      '/metrics listen address, "0" to disable (default: ":8080") [AIRLIFT_METRICS_ADDR]',
    )
    .option(
      "--health-addr <host:port>",
      '/healthz and /readyz listen address, "0" to disable (default: ":8081") [AIRLIFT_HEALTH_ADDR]',
    )
    .option(
      "--allow-cross-namespace-secrets",
      "the wide door: let every resource reference Secrets in every namespace [AIRLIFT_ALLOW_CROSS_NAMESPACE_SECRETS]",
    )
    .option(
      "--secret-source-namespaces <a,b>",
      "namespaces whose Secrets may be used from other namespaces when the Secret's annotation airlift.dev/allowed-namespaces names them (\"\" for none; default: the site profile's) [AIRLIFT_SECRET_SOURCE_NAMESPACES]",
    )
    .addOption(
      new Option(
        "--site-profile <name>",
        "site defaults: gdc lists object-storage-access-keys and harbor-system as Secret sources [AIRLIFT_SITE_PROFILE] (default: none)",
      ).choices(Object.keys(SITE_PROFILES)),
    )
    .addOption(
      duration("--shutdown-timeout <duration>", "how long SIGTERM waits for running reconciles", 30_000, "30s"),
    )
    .option("--default-registry <host[:port]>", "registry used when a resource names none [AIRLIFT_DEFAULT_REGISTRY]")
    .option("--default-s3-endpoint <url>", "S3 endpoint used when a resource names none [AIRLIFT_DEFAULT_S3_ENDPOINT]")
    .option(
      "--dns-suffix <suffix>",
      "derive harbor.SUFFIX and https://objectstorage.SUFFIX as the defaults; wins over the discovered suffix [AIRLIFT_DNS_SUFFIX]",
    )
    .option(
      "--site-dns-suffix-configmap <namespace/name>",
      `watch the site's DNS suffix (key dnsSuffix) in this ConfigMap; "" turns it off [AIRLIFT_SITE_DNS_SUFFIX_CONFIGMAP] (default: "${GDC_DNS_SUFFIX_CONFIGMAP}")`,
    )
    .option(
      "--site-harbor-cluster <namespace/name>",
      `take the default registry from this HarborCluster's spec.externalURL when the kind is served; "" turns it off [AIRLIFT_SITE_HARBOR_CLUSTER] (default: "${GDC_HARBOR_CLUSTER}")`,
    )
    .option(
      "--site-admin-kubeconfig-secret <[namespace/]name[#key]>",
      "read the HarborCluster in the admin cluster this Secret's kubeconfig names (self-contained: no exec plugin or file), watched; key default value, namespace default the operator's [AIRLIFT_SITE_ADMIN_KUBECONFIG_SECRET]",
    )
    .option(
      "--no-site-discovery",
      "do not discover site values (DNS suffix ConfigMap, HarborCluster) [AIRLIFT_SITE_DISCOVERY=false]",
    )
    .option(
      "--ca-bundle <configmap:|secret:[namespace/]name[#key]>",
      "the site's CA bundle (PEM; a trust-manager Bundle's ConfigMap fits), watched and added to the system roots of every registry, Harbor and S3 connection; key default ca.crt, namespace default the operator's [AIRLIFT_CA_BUNDLE]",
    )
    .option(
      "--allow-loopback-endpoints",
      "let resources name loopback registry / S3 endpoints (local testing) [AIRLIFT_ALLOW_LOOPBACK_ENDPOINTS]",
    )
    .option(
      "--allow-link-local-endpoints",
      "let resources name link-local endpoints (169.254.0.0/16, fe80::/10) [AIRLIFT_ALLOW_LINK_LOCAL_ENDPOINTS]",
    )
    .option(
      "--kustomize <path>",
      `kustomize binary OciSync renders kustomizations with; "" turns rendering off [AIRLIFT_KUSTOMIZE] (default: ${DEFAULT_KUSTOMIZE})`,
    )
    .option(
      "--sync-max-objects <n>",
      `most objects (and manifest files) one OciSync may hold; more: ObjectLimitExceeded, nothing applied [AIRLIFT_SYNC_MAX_OBJECTS] (default: ${DEFAULT_SYNC_MAX_OBJECTS})`,
    )
    .option("--work-dir <path>", "where pulled and extracted content is staged [AIRLIFT_WORK_DIR; $TMPDIR/airlift]")
    .addOption(
      new Option("--log-level <level>", "log level [LOG_LEVEL] (default: info)").choices([
        "fatal",
        "error",
        "warn",
        "info",
        "debug",
        "trace",
      ]),
    );
}

function ownNamespace(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  if (existsSync(NAMESPACE_FILE)) return readFileSync(NAMESPACE_FILE, "utf8").trim();
  return "airlift-system";
}

/** A listen address: the flag, else the environment variable (where "" or "0" disables), else `fallback`. */
const listen = (flag: string | undefined, env: string | undefined, fallback: string): string | undefined => {
  const addr = flag ?? env ?? fallback;
  return addr === "0" || addr === "" ? undefined : addr;
};
/** The flag, else the environment variable when set and not empty. */
const pick = (flag: string | undefined, env: string | undefined): string | undefined => flag ?? (env || undefined);
/** The boolean flag, else the environment variable, else false. */
const bool = (flag: boolean | undefined, env: string | undefined): boolean => flag ?? envBool(env) ?? false;

function leaderSettings(
  v: OperatorFlags,
  env: NodeJS.ProcessEnv,
): Pick<
  OperatorConfig,
  "leaderElect" | "leaderElectionId" | "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs" | "identity"
> {
  return {
    leaderElect: bool(v.leaderElect, env.AIRLIFT_LEADER_ELECT),
    leaderElectionId: v.leaderElectionId,
    leaseDurationMs: v.leaseDuration,
    renewDeadlineMs: v.renewDeadline,
    retryPeriodMs: v.retryPeriod,
    identity: `${pick(v.identity, env.POD_NAME) ?? hostname()}_${randomBytes(4).toString("hex")}`,
  };
}

function endpointSettings(
  v: OperatorFlags,
  env: NodeJS.ProcessEnv,
): Pick<
  OperatorConfig,
  "defaults" | "allowLoopbackEndpoints" | "allowLinkLocalEndpoints" | "allowCrossNamespaceSecrets"
> {
  return {
    allowCrossNamespaceSecrets: bool(v.allowCrossNamespaceSecrets, env.AIRLIFT_ALLOW_CROSS_NAMESPACE_SECRETS),
    allowLoopbackEndpoints: bool(v.allowLoopbackEndpoints, env.AIRLIFT_ALLOW_LOOPBACK_ENDPOINTS),
    allowLinkLocalEndpoints: bool(v.allowLinkLocalEndpoints, env.AIRLIFT_ALLOW_LINK_LOCAL_ENDPOINTS),
    defaults: new SiteDefaults({
      registry: pick(v.defaultRegistry, env.AIRLIFT_DEFAULT_REGISTRY),
      s3Endpoint: pick(v.defaultS3Endpoint, env.AIRLIFT_DEFAULT_S3_ENDPOINT),
      dnsSuffix: pick(v.dnsSuffix, env.AIRLIFT_DNS_SUFFIX),
      workDir: pick(v.workDir, env.AIRLIFT_WORK_DIR),
    }),
  };
}

/** A discovered object to watch: off with --no-site-discovery / AIRLIFT_SITE_DISCOVERY=false or an empty name. */
function siteObject(v: OperatorFlags, flag: string, value: string | undefined): string | undefined {
  if (v.siteDiscovery === false) return undefined;
  const name = (value ?? "").trim();
  if (!name) return undefined;
  try {
    configMapRef(name);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
  return name;
}

function siteSettings(
  v: OperatorFlags,
  env: NodeJS.ProcessEnv,
): Pick<OperatorConfig, "dnsSuffixConfigMap" | "harborCluster"> {
  const off = envBool(env.AIRLIFT_SITE_DISCOVERY) === false;
  const flags = off ? { ...v, siteDiscovery: false } : v;
  return {
    dnsSuffixConfigMap: siteObject(
      flags,
      "site-dns-suffix-configmap",
      v.siteDnsSuffixConfigmap ?? env.AIRLIFT_SITE_DNS_SUFFIX_CONFIGMAP ?? GDC_DNS_SUFFIX_CONFIGMAP,
    ),
    harborCluster: siteObject(
      flags,
      "site-harbor-cluster",
      v.siteHarborCluster ?? env.AIRLIFT_SITE_HARBOR_CLUSTER ?? GDC_HARBOR_CLUSTER,
    ),
  };
}

function secretSettings(
  v: OperatorFlags,
  env: NodeJS.ProcessEnv,
): Pick<OperatorConfig, "secretSourceNamespaces" | "siteProfile"> {
  const siteProfile = pick(v.siteProfile, env.AIRLIFT_SITE_PROFILE) ?? "none";
  if (!(siteProfile in SITE_PROFILES))
    throw new UsageError(`unknown site profile "${siteProfile}" (known: ${Object.keys(SITE_PROFILES).join(", ")})`);
  // An empty flag or variable is an explicit "none", unlike the other settings.
  return {
    siteProfile,
    secretSourceNamespaces: secretSourceNamespaces(
      v.secretSourceNamespaces ?? env.AIRLIFT_SECRET_SOURCE_NAMESPACES,
      siteProfile,
    ),
  };
}

/** The --ca-bundle source, resolved in the operator's namespace when it names none. */
function caBundleSetting(v: OperatorFlags, env: NodeJS.ProcessEnv, namespace: string): CaBundleSource | undefined {
  const text = pick(v.caBundle, env.AIRLIFT_CA_BUNDLE)?.trim();
  if (!text) return undefined;
  try {
    return parseCaBundleSource(text, namespace);
  } catch (err) {
    throw new UsageError(`--ca-bundle: ${(err as Error).message}`);
  }
}

/** The --site-admin-kubeconfig-secret Secret, in the operator's namespace when it names none. */
function adminKubeconfigSetting(
  v: OperatorFlags,
  env: NodeJS.ProcessEnv,
  namespace: string,
): SecretKeySource | undefined {
  const text = pick(v.siteAdminKubeconfigSecret, env.AIRLIFT_SITE_ADMIN_KUBECONFIG_SECRET)?.trim();
  if (!text) return undefined;
  try {
    return parseSecretKeySource(text, namespace);
  } catch (err) {
    throw new UsageError(`--site-admin-kubeconfig-secret: ${(err as Error).message}`);
  }
}

/** Resolves flags with environment fallbacks. */
export function operatorConfig(v: OperatorFlags, env: NodeJS.ProcessEnv): OperatorConfig {
  const namespace = ownNamespace(v.namespace, env);
  return {
    kubeconfig: v.kubeconfig,
    context: v.context,
    namespace,
    caBundle: caBundleSetting(v, env, namespace),
    adminKubeconfig: adminKubeconfigSetting(v, env, namespace),
    watchNamespace: pick(v.watchNamespace, env.AIRLIFT_WATCH_NAMESPACE),
    watchLabelSelector: pick(v.watchLabelSelector, env.AIRLIFT_WATCH_LABEL_SELECTOR)?.trim() || undefined,
    ...leaderSettings(v, env),
    workers: parsePositiveInt("workers", pick(v.workers, env.AIRLIFT_WORKERS) ?? "2"),
    metricsAddr: listen(v.metricsAddr, env.AIRLIFT_METRICS_ADDR, ":8080"),
    healthAddr: listen(v.healthAddr, env.AIRLIFT_HEALTH_ADDR, ":8081"),
    shutdownTimeoutMs: v.shutdownTimeout,
    logLevel: pick(v.logLevel, env.LOG_LEVEL),
    kustomize: (v.kustomize ?? env.AIRLIFT_KUSTOMIZE ?? DEFAULT_KUSTOMIZE) || undefined,
    syncMaxObjects: parsePositiveInt(
      "sync-max-objects",
      pick(v.syncMaxObjects, env.AIRLIFT_SYNC_MAX_OBJECTS) ?? String(DEFAULT_SYNC_MAX_OBJECTS),
    ),
    ...endpointSettings(v, env),
    ...secretSettings(v, env),
    ...siteSettings(v, env),
  };
}

/** Parses `argv` (the operator's flags only) with environment fallbacks; throws on a usage error. */
export function parseOperatorConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const cmd = addOperatorFlags(addKubeFlags(new Command("operator")))
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  cmd.parse(argv, { from: "user" });
  return operatorConfig(cmd.opts<OperatorFlags>(), env);
}
