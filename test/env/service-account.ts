// Kubeconfigs for ServiceAccounts, for tests of RBAC and impersonation: the ServiceAccount is created when missing
// and a token is requested through the TokenRequest API.
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { clientNodeConfig } from "./client-node.ts";
import { writeTokenKubeconfig, type KubeConnection } from "./kube.ts";

export async function serviceAccountKubeconfig(
  kube: KubeConnection,
  namespace: string,
  name: string,
  dir: string,
): Promise<string> {
  const core = clientNodeConfig(kube.kubeconfigPath).makeApiClient(CoreV1Api);
  try {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tokenRequest.status?.token;
  if (!token) throw new Error(`no token issued for ServiceAccount ${namespace}/${name}`);
  return writeTokenKubeconfig(
    join(dir, `sa-${namespace}-${name}.kubeconfig`),
    kube,
    `system:serviceaccount:${namespace}:${name}`,
    token,
  );
}
