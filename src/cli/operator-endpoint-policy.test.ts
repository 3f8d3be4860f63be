import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EndpointRefusedError } from "../net/endpoint-policy.ts";
import { operatorEndpointPolicy } from "./operator-endpoint-policy.ts";

describe("operatorEndpointPolicy", () => {
  it("refuses the API server and the operator's own listeners even where loopback is allowed", async () => {
    const policy = await operatorEndpointPolicy({
      allowLoopback: true,
      allowLinkLocal: false,
      apiServer: "https://127.0.0.1:6443",
      ownListeners: [":8080", "127.0.0.1:8081", undefined],
    });
    assert.throws(() => policy.check("127.0.0.1", 6443), EndpointRefusedError);
    assert.throws(() => policy.check("127.0.0.1", 8080), EndpointRefusedError);
    assert.throws(() => policy.check("127.0.0.1", 8081), EndpointRefusedError);
    assert.throws(() => policy.check("169.254.169.254", 80), EndpointRefusedError);
    policy.check("127.0.0.1", 5000);
    policy.check("10.0.0.5", 443);
  });
});
