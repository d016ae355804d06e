/**
 * ServiceDiscovery: services register instances and clients find them, on the layout and JSON of Apache
 * Curator's curator-x-discovery, so Node and Java services see each other: each instance is a node
 * `<basePath>/<service name>/<instance id>` holding the ServiceInstance as JSON (Jackson's field names;
 * payloads may carry Jackson's `"@class"` type tag). Dynamic instances are ephemeral and kept present by a
 * PersistentEphemeralNode (with a RenewingClient, also across session expiry); static and permanent ones
 * are persistent. A ServiceCache keeps one service's instances current with a TreeCache, and a
 * ServiceProvider picks one of them round-robin or at random.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { NoNodeError, NodeExistsError } from "../client/index.js";
import { PersistentEphemeralNode } from "./persistent-ephemeral-node.js";
import { currentClient, type RecipeClient } from "./session.js";
import { checkPath, createWithParents, deleteQuietly, joinPath, parentOf, retryIdempotent } from "./support.js";
import { TreeCache } from "./tree-cache.js";

/** Curator's ServiceType: DYNAMIC instances vanish with their session; the others are persistent. */
export type ServiceType = "DYNAMIC" | "STATIC" | "PERMANENT";

/** Curator's UriSpec as Jackson writes it: literal and `{variable}` parts. */
export interface UriSpec {
  parts: { value: string; variable: boolean }[];
}

/** One instance of a service (Curator's ServiceInstance), as stored in its node. */
export interface ServiceInstance<P = unknown> {
  name: string;
  id: string;
  address: string | null;
  port: number | null;
  sslPort: number | null;
  payload: P | null;
  /** Milliseconds since the epoch. */
  registrationTimeUTC: number;
  serviceType: ServiceType;
  uriSpec: UriSpec | null;
  enabled: boolean;
}

/** What newServiceInstance needs; everything but `name` has a default. */
export type ServiceInstanceInit<P> = Pick<ServiceInstance<P>, "name"> & Partial<Omit<ServiceInstance<P>, "name">>;

/** A ServiceInstance with Curator's defaults: a random UUID id, registered now, DYNAMIC, enabled. */
export function newServiceInstance<P>(init: ServiceInstanceInit<P>): ServiceInstance<P> {
  if (init.name === "" || init.name.includes("/")) throw new TypeError(`service name must be a node name, got ${JSON.stringify(init.name)}`);
  const id = init.id ?? randomUUID();
  if (id === "" || id.includes("/")) throw new TypeError(`instance id must be a node name, got ${JSON.stringify(id)}`);
  return {
    name: init.name,
    id,
    address: init.address ?? null,
    port: init.port ?? null,
    sslPort: init.sslPort ?? null,
    payload: init.payload ?? null,
    registrationTimeUTC: init.registrationTimeUTC ?? Date.now(),
    serviceType: init.serviceType ?? "DYNAMIC",
    uriSpec: init.uriSpec ?? null,
    enabled: init.enabled ?? true,
  };
}

/** Options of a ServiceDiscovery. */
export interface ServiceDiscoveryOptions {
  /**
   * Java class name written as the payload's `"@class"` tag, so a Java reader using
   * JsonInstanceSerializer(SomeClass.class) gets a SomeClass. Without it, Java reads the payload as a Map.
   */
  payloadClass?: string;
}

/** The instance as Curator's JsonInstanceSerializer writes it. */
export function serializeInstance<P>(instance: ServiceInstance<P>, payloadClass?: string): Buffer {
  let payload: unknown = instance.payload;
  if (payloadClass !== undefined && payload !== null && typeof payload === "object" && !Array.isArray(payload)) {
    payload = { "@class": payloadClass, ...(payload as Record<string, unknown>) };
  }
  const { name, id, address, port, sslPort, registrationTimeUTC, serviceType, uriSpec, enabled } = instance;
  return Buffer.from(JSON.stringify({ name, id, address, port, sslPort, payload, registrationTimeUTC, serviceType, uriSpec, enabled }), "utf8");
}

/** Reads an instance node written by Curator or by us; the payload's `"@class"` tag is dropped. */
export function deserializeInstance<P>(bytes: Buffer): ServiceInstance<P> {
  const raw = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  if (typeof raw.name !== "string" || typeof raw.id !== "string") throw new Error("not a ServiceInstance: name and id are required");
  let payload = raw.payload ?? null;
  if (payload !== null && typeof payload === "object" && !Array.isArray(payload) && "@class" in payload) {
    const { "@class": _tag, ...rest } = payload as Record<string, unknown>;
    payload = rest;
  }
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  return {
    name: raw.name,
    id: raw.id,
    address: typeof raw.address === "string" ? raw.address : null,
    port: num(raw.port),
    sslPort: num(raw.sslPort),
    payload: payload as P | null,
    registrationTimeUTC: num(raw.registrationTimeUTC) ?? 0,
    serviceType: raw.serviceType === "STATIC" || raw.serviceType === "PERMANENT" ? raw.serviceType : "DYNAMIC",
    uriSpec: (raw.uriSpec as UriSpec | null | undefined) ?? null,
    enabled: raw.enabled !== false,
  };
}

/** Picks one instance of several; `undefined` when there are none. */
export type ProviderStrategy<P> = (instances: readonly ServiceInstance<P>[]) => ServiceInstance<P> | undefined;

/** Takes the instances in turn. */
export function roundRobinStrategy<P>(): ProviderStrategy<P> {
  let next = 0;
  return (instances) => {
    if (instances.length === 0) return undefined;
    const chosen = instances[next % instances.length];
    next = (next + 1) % Number.MAX_SAFE_INTEGER;
    return chosen;
  };
}

/** Takes any instance, uniformly (`random` is injectable for tests). */
export function randomStrategy<P>(random: () => number = Math.random): ProviderStrategy<P> {
  return (instances) => (instances.length === 0 ? undefined : instances[Math.floor(random() * instances.length)]);
}

/** Events of a ServiceCache. */
export interface ServiceCacheEvents {
  /** An instance registered, unregistered or changed. */
  changed: [];
  error: [Error];
}

/** One service's instances, kept current (Curator's ServiceCache). */
export class ServiceCache<P> extends EventEmitter<ServiceCacheEvents> {
  private readonly cache: TreeCache;

  constructor(source: RecipeClient, readonly servicePath: string) {
    super();
    this.cache = new TreeCache(source, servicePath);
    const changed = (node: { path: string }) => {
      if (parentOf(node.path) === servicePath) this.emit("changed");
    };
    this.cache.on("created", changed);
    this.cache.on("changed", (_previous, node) => changed(node));
    this.cache.on("deleted", changed);
    this.cache.on("error", (err) => {
      if (this.listenerCount("error") > 0) this.emit("error", err);
    });
  }

  /** Loads the instances; resolves once they are cached. */
  start(): Promise<void> {
    return this.cache.start();
  }

  /** The cached instances (unreadable nodes are left out), ordered by id. */
  instances(): ServiceInstance<P>[] {
    const out: ServiceInstance<P>[] = [];
    for (const name of this.cache.childrenOf(this.servicePath)) {
      const node = this.cache.get(joinPath(this.servicePath, name));
      if (node === undefined) continue;
      try {
        out.push(deserializeInstance<P>(node.data));
      } catch {
        // not an instance (or not yet written): skip it, as Curator does
      }
    }
    return out;
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}

/** Picks an enabled instance of one service from a ServiceCache (Curator's ServiceProvider). */
export class ServiceProvider<P> {
  /** @param cache the instances to pick from; its `changed` event says when they change. */
  constructor(readonly cache: ServiceCache<P>, private readonly strategy: ProviderStrategy<P>) {}

  start(): Promise<void> {
    return this.cache.start();
  }

  /** One enabled instance chosen by the strategy, or undefined when none is registered. */
  getInstance(): ServiceInstance<P> | undefined {
    return this.strategy(this.getAllInstances());
  }

  /** Every enabled instance. */
  getAllInstances(): ServiceInstance<P>[] {
    return this.cache.instances().filter((instance) => instance.enabled);
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}

interface Registration {
  instance: ServiceInstance<unknown>;
  /** Dynamic instances only. */
  node: PersistentEphemeralNode | undefined;
}

/**
 * Registers this process's service instances and finds others' (Curator's ServiceDiscovery).
 *
 * ```ts
 * const discovery = new ServiceDiscovery<{ zone: string }>(zk, "/services");
 * await discovery.registerService(newServiceInstance({ name: "api", address: "10.0.0.5", port: 8080, payload: { zone: "a" } }));
 * const provider = discovery.provider("api", "roundRobin");
 * await provider.start();
 * provider.getInstance(); // { name: "api", address: "10.0.0.5", port: 8080, ... }
 * ```
 */
export class ServiceDiscovery<P = unknown> {
  private readonly registrations = new Map<string, Registration>();
  private readonly closeables = new Set<{ close(): Promise<void> }>();

  constructor(readonly source: RecipeClient, readonly basePath: string, private readonly options: ServiceDiscoveryOptions = {}) {
    checkPath(basePath, "discovery base path");
  }

  /** `<basePath>/<name>/<id>`. */
  pathFor(name: string, id?: string): string {
    const servicePath = joinPath(this.basePath, name);
    return id === undefined ? servicePath : joinPath(servicePath, id);
  }

  /** Registers (or re-registers) an instance; a DYNAMIC one is kept present until unregistered. */
  async registerService(instance: ServiceInstance<P>, timeoutMs = 10_000): Promise<void> {
    await this.unregisterService(instance);
    const path = this.pathFor(instance.name, instance.id);
    const bytes = serializeInstance(instance, this.options.payloadClass);
    if (instance.serviceType === "DYNAMIC") {
      const node = new PersistentEphemeralNode(this.source, path, bytes);
      this.registrations.set(path, { instance, node });
      node.start();
      if (!(await node.waitForInitialCreate(timeoutMs))) throw new Error(`could not register ${path} within ${timeoutMs} ms`);
      return;
    }
    const client = currentClient(this.source);
    await createWithParents(client, path, bytes, "persistent").catch(async (err: unknown) => {
      if (!(err instanceof NodeExistsError)) throw err;
      await retryIdempotent(() => client.setData(path, bytes));
    });
    this.registrations.set(path, { instance, node: undefined });
  }

  /** Rewrites a registered instance's node. */
  async updateService(instance: ServiceInstance<P>): Promise<void> {
    const path = this.pathFor(instance.name, instance.id);
    const registration = this.registrations.get(path);
    if (registration === undefined) throw new Error(`${path} is not registered here`);
    registration.instance = instance;
    const bytes = serializeInstance(instance, this.options.payloadClass);
    if (registration.node) return registration.node.setData(bytes);
    await retryIdempotent(() => currentClient(this.source).setData(path, bytes));
  }

  /** Removes an instance's node (if this process registered it, it stops keeping it too). */
  async unregisterService(instance: Pick<ServiceInstance<P>, "name" | "id">): Promise<void> {
    const path = this.pathFor(instance.name, instance.id);
    const registration = this.registrations.get(path);
    this.registrations.delete(path);
    if (registration?.node) return registration.node.close();
    if (registration) await deleteQuietly(currentClient(this.source), path);
  }

  /** Names of every registered service. */
  async queryForNames(): Promise<string[]> {
    return this.children(this.basePath);
  }

  /** Every readable instance of a service, ordered by id. */
  async queryForInstances(name: string): Promise<ServiceInstance<P>[]> {
    const instances: ServiceInstance<P>[] = [];
    for (const id of (await this.children(this.pathFor(name))).sort()) {
      const instance = await this.queryForInstance(name, id);
      if (instance) instances.push(instance);
    }
    return instances;
  }

  /** One instance, or undefined if it is not registered (or not readable). */
  async queryForInstance(name: string, id: string): Promise<ServiceInstance<P> | undefined> {
    try {
      const { data } = await retryIdempotent(() => currentClient(this.source).getData(this.pathFor(name, id)));
      return deserializeInstance<P>(data);
    } catch (err) {
      if (err instanceof NoNodeError || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  /** A live view of one service's instances; start() it, and it is closed with this discovery. */
  serviceCache(name: string): ServiceCache<P> {
    const cache = new ServiceCache<P>(this.source, this.pathFor(name));
    this.closeables.add(cache);
    return cache;
  }

  /** Picks instances of one service; start() it, and it is closed with this discovery. */
  provider(name: string, strategy: "roundRobin" | "random" | ProviderStrategy<P> = "roundRobin"): ServiceProvider<P> {
    const pick = strategy === "roundRobin" ? roundRobinStrategy<P>() : strategy === "random" ? randomStrategy<P>() : strategy;
    const provider = new ServiceProvider(this.serviceCache(name), pick);
    this.closeables.add(provider);
    return provider;
  }

  /** Closes caches and providers, and unregisters this process's instances (except PERMANENT ones). */
  async close(): Promise<void> {
    await Promise.all([...this.closeables].map((c) => c.close()));
    this.closeables.clear();
    for (const { instance } of [...this.registrations.values()]) {
      if (instance.serviceType !== "PERMANENT") await this.unregisterService(instance).catch(() => undefined);
    }
    this.registrations.clear();
  }

  private async children(path: string): Promise<string[]> {
    return retryIdempotent(() => currentClient(this.source).getChildren(path)).catch((err: unknown) => {
      if (err instanceof NoNodeError) return [] as string[];
      throw err;
    });
  }
}
