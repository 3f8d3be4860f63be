// client-node's own KubeConfig, for the few tests that drive the generated API client (makeApiClient) as an
// independent client. src/ never imports client-node (issue 18: its module costs ~75 MiB of RSS); it is a dev
// dependency only.
import { KubeConfig } from "@kubernetes/client-node";

/** client-node's KubeConfig read from `kubeconfigPath`. */
export function clientNodeConfig(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}
