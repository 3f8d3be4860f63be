// The API client of a sync: the operator's own identity, or a ServiceAccount's through impersonation so that the
// tenant's RBAC, not the operator's, bounds what a namespace-scoped sync can write.
// https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation
import { KubeConfig } from "../kube/kube-config.ts";
import { KubeClient, requestObserver } from "../kube/rest-client.ts";

/** Whom to act as. */
export interface Impersonation {
  /** A ServiceAccount: impersonated as `system:serviceaccount:<namespace>:<name>`. */
  serviceAccount?: { namespace: string; name: string };
  /** Any user name (used when no serviceAccount is given). */
  user?: string;
}

/** The user name impersonated, or undefined when acting as oneself. */
export function impersonatedUser(imp: Impersonation | undefined): string | undefined {
  if (imp?.serviceAccount) return `system:serviceaccount:${imp.serviceAccount.namespace}:${imp.serviceAccount.name}`;
  return imp?.user;
}

/** A copy of `kc` whose current user sends `Impersonate-User: user` (applyToHTTPSOptions sends it on every request). */
export function impersonatingConfig(kc: KubeConfig, user: string): KubeConfig {
  const currentUser = kc.getCurrentUser();
  if (!currentUser) throw new Error("failed to impersonate: the kubeconfig has no current user");
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users.map((u) => (u.name === currentUser.name ? { ...u, impersonateUser: user } : u)),
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return copy;
}

/** A client for `kc`, impersonating when asked, counted in `kc`'s request metrics. The caller closes it. */
export function syncClient(kc: KubeConfig, impersonate?: Impersonation): KubeClient {
  const user = impersonatedUser(impersonate);
  return new KubeClient(user ? impersonatingConfig(kc, user) : kc, { observer: requestObserver(kc) });
}
