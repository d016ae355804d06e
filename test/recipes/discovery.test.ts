/**
 * ServiceDiscovery against Herd: Curator's layout and JSON (including payloads tagged with Jackson's
 * "@class"), queries, a live cache, round-robin and random providers, and unregistering.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ServiceDiscovery, type ServiceProvider, deserializeInstance, newServiceInstance, randomStrategy, serializeInstance } from "../../src/recipes/index.js";
import { freshPath, useClients, useServer, withTimeout } from "./support.js";

describe("ServiceInstance JSON", () => {
  test("Curator's field names; reads Curator's own output, dropping the payload's @class tag", () => {
    const instance = newServiceInstance({ name: "api", id: "i1", address: "10.0.0.1", port: 8080, payload: { zone: "a" }, registrationTimeUTC: 5 });
    assert.deepEqual(JSON.parse(serializeInstance(instance, "com.example.Zone").toString()), {
      name: "api", id: "i1", address: "10.0.0.1", port: 8080, sslPort: null, payload: { "@class": "com.example.Zone", zone: "a" },
      registrationTimeUTC: 5, serviceType: "DYNAMIC", uriSpec: null, enabled: true,
    });
    // As curator-x-discovery 5.x writes it (compatible mode: no "enabled").
    const fromCurator = Buffer.from('{"name":"api","id":"j1","address":"h","port":1,"sslPort":null,"payload":{"@class":"java.util.LinkedHashMap","zone":"b"},"registrationTimeUTC":7,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"http://","variable":false}]}}');
    assert.deepEqual(deserializeInstance(fromCurator), {
      name: "api", id: "j1", address: "h", port: 1, sslPort: null, payload: { zone: "b" }, registrationTimeUTC: 7,
      serviceType: "DYNAMIC", uriSpec: { parts: [{ value: "http://", variable: false }] }, enabled: true,
    });
  });
});

describe("ServiceDiscovery (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("register, query, watch through a provider, pick round-robin or at random, unregister", async () => {
    const [a, b] = await Promise.all([clients.connect(server().connectString), clients.connect(server().connectString)]);
    const base = freshPath("services");
    const serving = new ServiceDiscovery<{ zone: string }>(a, base);
    const finding = new ServiceDiscovery<{ zone: string }>(b, base);
    const one = newServiceInstance({ name: "api", id: "one", address: "10.0.0.1", port: 1, payload: { zone: "a" } });
    const two = newServiceInstance({ name: "api", id: "two", address: "10.0.0.2", port: 2, payload: { zone: "b" } });
    await serving.registerService(one);
    assert.equal((await b.getData(`${base}/api/one`)).stat.ephemeralOwner, a.sessionId, "dynamic = ephemeral");

    assert.deepEqual(await finding.queryForNames(), ["api"]);
    assert.deepEqual(await finding.queryForInstance("api", "one"), one);
    const provider = finding.provider("api", "roundRobin");
    await provider.start();
    assert.equal(provider.getInstance()?.id, "one");

    const cache = finding.serviceCache("api");
    await cache.start();
    const sawTwo = new Promise<void>((resolve) => cache.on("changed", () => cache.instances().length === 2 && resolve()));
    await serving.registerService(two);
    await withTimeout(sawTwo, "second instance seen");
    assert.deepEqual((await finding.queryForInstances("api")).map((i) => i.id), ["one", "two"]);
    await waitForProvider(provider, 2);
    const picks = [0, 1, 2, 3].map(() => provider.getInstance()?.id);
    assert.deepEqual([...picks].sort(), ["one", "one", "two", "two"], "round-robin alternates");
    assert.notEqual(picks[0], picks[1]);
    const random = randomStrategy<{ zone: string }>(() => 0.99);
    assert.equal(random(provider.getAllInstances())?.id, "two");

    const disabled = { ...two, enabled: false };
    await serving.updateService(disabled);
    await waitForProvider(provider, 1);
    assert.equal(provider.getInstance()?.id, "one", "disabled instances are not picked");

    const goneOne = new Promise<void>((resolve) => cache.on("changed", () => cache.instances().length === 1 && resolve()));
    await serving.unregisterService(one);
    await withTimeout(goneOne, "unregistered instance gone");
    await serving.close();
    assert.deepEqual(await finding.queryForInstances("api"), []);
    await finding.close();
  });

  test("static instances are persistent and survive their session", async () => {
    const a = await clients.connect(server().connectString);
    const b = await clients.connect(server().connectString);
    const base = freshPath("services-static");
    await new ServiceDiscovery(a, base).registerService(newServiceInstance({ name: "db", id: "primary", serviceType: "STATIC" }));
    assert.equal((await b.getData(`${base}/db/primary`)).stat.ephemeralOwner, 0n);
    await a.close();
    assert.equal((await new ServiceDiscovery(b, base).queryForInstance("db", "primary"))?.serviceType, "STATIC");
  });
});

/** Waits (bounded) until the provider offers `count` enabled instances, re-checking on each cache change. */
function waitForProvider<P>(provider: ServiceProvider<P>, count: number): Promise<void> {
  return withTimeout(new Promise<void>((resolve) => {
    const check = () => {
      if (provider.getAllInstances().length !== count) return;
      provider.cache.off("changed", check);
      resolve();
    };
    provider.cache.on("changed", check);
    check();
  }), `provider with ${count} instances`);
}
