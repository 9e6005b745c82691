// The state behind the Compute Engine stand-in: resources by their relative
// name (projects/P/global/backendServices/N, projects/P/zones/Z/instanceGroups/N),
// instance group membership, backend health and Operations. Google keeps all
// of this in the cloud; the sandbox has none, so GLBC's stand-in builds here
// and gitfed and the tests read here, through the same REST shapes.
import { instanceHealth, type InstanceHealth } from './compute-health.js';
import { checkInUse, checkLoadBalancedIgs, checkRefs, normalizeRef } from './compute-rules.js';

export const SELF_LINK_BASE = 'https://www.googleapis.com/compute/v1/';

export type Resource = Record<string, any> & { name: string; id: string; selfLink: string; kind: string };
export type HealthState = 'HEALTHY' | 'UNHEALTHY';

/** An error Compute Engine answers with (HTTP status and its `errors[].reason`). */
export class ComputeError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

const KIND: Record<string, string> = {
  addresses: 'address', healthChecks: 'healthCheck', backendServices: 'backendService', urlMaps: 'urlMap',
  targetHttpProxies: 'targetHttpProxy', targetHttpsProxies: 'targetHttpsProxy', sslCertificates: 'sslCertificate',
  forwardingRules: 'forwardingRule', firewalls: 'firewall', instanceGroups: 'instanceGroup', instances: 'instance',
};
export const ZONAL_COLLECTIONS = ['instanceGroups', 'instances'];
export const GLOBAL_COLLECTIONS = Object.keys(KIND).filter((c) => !ZONAL_COLLECTIONS.includes(c));

/** Whether the cluster behind an instance group answers (see compute-standin's probes). */
export type Reachability = { ok: boolean; detail: string } | undefined;

/** A failure to inject: the next mutation that matches ends DONE with this error and changes nothing. */
export interface InjectedFailure {
  collection?: string;
  name?: string;
  /** insert | delete | patch | update | addInstances | removeInstances | setNamedPorts */
  verb?: string;
  code: string;
  message: string;
}

export interface ComputeSnapshot {
  [collection: string]: Array<Resource & { instances?: string[] }>;
}

export class ComputeStore {
  private readonly resources = new Map<string, Resource>();
  /** instance group key -> instance references (normalized) */
  private readonly members = new Map<string, string[]>();
  /** "<backend service key>|<group key>" -> health of every instance in the group */
  private readonly health = new Map<string, HealthState>();
  private readonly operations = new Map<string, Resource>();
  private readonly failures: InjectedFailure[] = [];
  private nextId = 0;
  private nextAddress = 10;
  private nextEphemeral = 10;

  /** Ids are a counter, so two runs of a test see the same ids. */
  private id(): string {
    return String(1_000_000_000_000_000 + ++this.nextId);
  }

  static key(project: string, scope: string, collection: string, name: string): string {
    return `projects/${project}/${scope}/${collection}/${name}`;
  }

  get(project: string, scope: string, collection: string, name: string): Resource {
    const r = this.resources.get(ComputeStore.key(project, scope, collection, name));
    if (!r) throw new ComputeError(404, 'notFound', `The resource '${ComputeStore.key(project, scope, collection, name)}' was not found`);
    return structuredClone(r);
  }

  lookup(ref: string): Resource | undefined {
    return this.resources.get(normalizeRef(ref));
  }

  list(project: string, scope: string, collection: string): Resource[] {
    const prefix = `projects/${project}/${scope}/${collection}/`;
    return [...this.resources.entries()].filter(([k]) => k.startsWith(prefix)).map(([, r]) => structuredClone(r)).sort((a, b) => a.name.localeCompare(b.name));
  }

  failNext(f: InjectedFailure): void {
    this.failures.push(f);
  }

  /**
   * Mutations answer RUNNING, as Compute Engine does, instead of DONE; the
   * Operation is DONE (with its error, if one was injected) when asked again
   * (operations.get or wait). A client that does not wait sees no error.
   */
  answerRunning = false;

  /** Runs one mutation as an Operation: DONE at once, or DONE with the error of an injected failure. */
  private operate(project: string, scope: string, collection: string, name: string, verb: string, apply: () => Resource | undefined): Resource {
    const targetKey = ComputeStore.key(project, scope, collection, name);
    const id = this.id();
    const now = new Date().toISOString();
    const op: Resource = {
      kind: 'compute#operation', id, name: `operation-${id}`, operationType: verb, targetLink: SELF_LINK_BASE + targetKey,
      status: 'DONE', progress: 100, insertTime: now, startTime: now, endTime: now,
      selfLink: `${SELF_LINK_BASE}projects/${project}/${scope}/operations/operation-${id}`,
      ...(scope.startsWith('zones/') ? { zone: `${SELF_LINK_BASE}projects/${project}/${scope}` } : {}),
    };
    const i = this.failures.findIndex((f) => (!f.collection || f.collection === collection) && (!f.name || f.name === name) && (!f.verb || f.verb === verb));
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      op.error = { errors: [{ code: f!.code, message: f!.message }] };
      op.httpErrorStatusCode = 400;
    } else {
      const target = apply();
      if (target) op.targetId = target.id;
    }
    this.operations.set(`projects/${project}/${scope}/operations/${op.name}`, op);
    if (this.answerRunning) {
      const { error: _error, httpErrorStatusCode: _status, endTime: _end, ...running } = op;
      return structuredClone({ ...running, status: 'RUNNING', progress: 0 });
    }
    return structuredClone(op);
  }

  operation(project: string, scope: string, name: string): Resource {
    const op = this.operations.get(`projects/${project}/${scope}/operations/${name}`);
    if (!op) throw new ComputeError(404, 'notFound', `The resource 'projects/${project}/${scope}/operations/${name}' was not found`);
    return structuredClone(op);
  }

  insert(project: string, scope: string, collection: string, body: Record<string, any>): Resource {
    if (!KIND[collection]) throw new ComputeError(404, 'notFound', `no collection ${collection}`);
    const name = body.name;
    if (typeof name !== 'string' || !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
      throw new ComputeError(400, 'invalid', `Invalid value for field 'resource.name': '${name ?? ''}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
    }
    const key = ComputeStore.key(project, scope, collection, name);
    if (this.resources.has(key)) throw new ComputeError(409, 'alreadyExists', `The resource '${key}' already exists`);
    this.validate(project, collection, key, body);
    if (collection === 'forwardingRules') this.checkIpPortFree(project, body);
    return this.operate(project, scope, collection, name, 'insert', () => {
      const r: Resource = { ...structuredClone(body), kind: `compute#${KIND[collection]}`, id: this.id(), name, selfLink: SELF_LINK_BASE + key, creationTimestamp: new Date().toISOString() };
      if (scope.startsWith('zones/')) r.zone = `${SELF_LINK_BASE}projects/${project}/${scope}`;
      if (collection === 'addresses') Object.assign(r, { address: body.address ?? `198.51.100.${this.nextAddress++}`, status: 'RESERVED', addressType: body.addressType ?? 'EXTERNAL' });
      if (collection === 'forwardingRules') this.placeForwardingRule(project, r);
      // Compute Engine never returns a certificate's private key; neither is it kept here.
      if (collection === 'sslCertificates') { delete r.privateKey; r.type ??= 'SELF_MANAGED'; }
      if (collection === 'instanceGroups') { r.size = 0; r.namedPorts ??= []; this.members.set(key, []); }
      if (collection === 'backendServices' || collection === 'urlMaps' || collection === 'firewalls' || collection === 'healthChecks') r.fingerprint = this.id();
      this.resources.set(key, r);
      return r;
    });
  }

  /** PATCH merges the given top-level fields; PUT (update) replaces the resource but keeps its identity. */
  change(project: string, scope: string, collection: string, name: string, body: Record<string, any>, verb: 'patch' | 'update'): Resource {
    const key = ComputeStore.key(project, scope, collection, name);
    const old = this.get(project, scope, collection, name);
    const next: Resource = verb === 'patch' ? { ...old, ...structuredClone(body) } : { ...structuredClone(body) } as Resource;
    for (const k of ['kind', 'id', 'name', 'selfLink', 'creationTimestamp', 'zone', 'address', 'status', 'size'] as const) if (old[k] !== undefined) next[k] = old[k];
    this.validate(project, collection, key, next);
    return this.operate(project, scope, collection, name, verb, () => {
      if (next.fingerprint !== undefined || old.fingerprint !== undefined) next.fingerprint = this.id();
      this.resources.set(key, next);
      return next;
    });
  }

  /** targetHttp(s)Proxies.setUrlMap and targetHttpsProxies.setSslCertificates: one field of a proxy, in place. */
  setProxyField(project: string, collection: 'targetHttpProxies' | 'targetHttpsProxies', name: string, verb: 'setUrlMap' | 'setSslCertificates', body: Record<string, any>): Resource {
    const key = ComputeStore.key(project, 'global', collection, name);
    const old = this.get(project, 'global', collection, name);
    const next: Resource = verb === 'setUrlMap' ? { ...old, urlMap: body.urlMap } : { ...old, sslCertificates: structuredClone(body.sslCertificates ?? []) };
    if (verb === 'setUrlMap' && !body.urlMap) throw new ComputeError(400, 'required', "Required field 'urlMap' not specified");
    if (verb === 'setSslCertificates' && !next.sslCertificates.length) throw new ComputeError(400, 'required', "Required field 'sslCertificates' not specified");
    this.validate(project, collection, key, next);
    return this.operate(project, 'global', collection, name, verb, () => { this.resources.set(key, next); return next; });
  }

  remove(project: string, scope: string, collection: string, name: string): Resource {
    const key = ComputeStore.key(project, scope, collection, name);
    const r = this.get(project, scope, collection, name);
    checkInUse(this.resources, key);
    return this.operate(project, scope, collection, name, 'delete', () => {
      this.resources.delete(key);
      this.members.delete(key);
      if (collection === 'forwardingRules') this.releaseAddress(project, r);
      return r;
    });
  }

  private validate(project: string, collection: string, key: string, body: Record<string, any>): void {
    checkRefs(this.resources, project, collection, body);
    if (collection === 'backendServices') checkLoadBalancedIgs(this.resources, this.members, key, body);
  }

  /** The IP a forwarding rule body asks for: a literal, or the address a reference names (undefined: ephemeral). */
  private requestedIp(project: string, ip: string | undefined): string | undefined {
    if (!ip) return undefined;
    if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return ip;
    return this.resources.get(normalizeRef(ip, project))?.address ?? ip;
  }

  /** Compute Engine refuses a second forwarding rule on an IP whose port range (same protocol) is taken. */
  private checkIpPortFree(project: string, body: Record<string, any>): void {
    const ip = this.requestedIp(project, body.IPAddress);
    if (!ip) return;
    const range = (r: string | undefined) => { const [lo, hi] = String(r ?? '1-65535').split('-').map(Number); return [lo!, hi ?? lo!] as const; };
    const [lo, hi] = range(body.portRange);
    const clash = this.list(project, 'global', 'forwardingRules').find((f) => {
      const [flo, fhi] = range(f.portRange);
      return f.IPAddress === ip && (f.IPProtocol ?? 'TCP') === (body.IPProtocol ?? 'TCP') && flo <= hi && lo <= fhi;
    });
    if (clash) throw new ComputeError(400, 'invalid', `Invalid value for field 'resource.IPAddress': '${ip}'. Specified IP address is in-use and would result in a conflict.`);
  }

  /** A forwarding rule takes the reserved address whose IP it names (the address turns IN_USE), else an ephemeral IP. */
  private placeForwardingRule(project: string, r: Resource): void {
    if (!r.IPAddress) { r.IPAddress = `203.0.113.${this.nextEphemeral++}`; return; }
    const byRef = /^\d+\.\d+\.\d+\.\d+$/.test(r.IPAddress) ? undefined : this.resources.get(normalizeRef(r.IPAddress, project));
    const address = byRef ?? this.list(project, 'global', 'addresses').find((a) => a.address === r.IPAddress);
    if (!address) return;
    r.IPAddress = address.address;
    const stored = this.resources.get(normalizeRef(address.selfLink))!;
    stored.status = 'IN_USE';
    stored.users = [...(stored.users ?? []), r.selfLink];
  }

  private releaseAddress(project: string, r: Resource): void {
    for (const a of this.list(project, 'global', 'addresses')) {
      const stored = this.resources.get(normalizeRef(a.selfLink))!;
      if (!stored.users?.includes(r.selfLink)) continue;
      stored.users = stored.users.filter((u: string) => u !== r.selfLink);
      if (stored.users.length === 0) { delete stored.users; stored.status = 'RESERVED'; }
    }
  }

  groupMembers(project: string, zone: string, group: string, verb: 'addInstances' | 'removeInstances' | 'setNamedPorts', body: Record<string, any>): Resource {
    const key = ComputeStore.key(project, `zones/${zone}`, 'instanceGroups', group);
    this.get(project, `zones/${zone}`, 'instanceGroups', group);
    return this.operate(project, `zones/${zone}`, 'instanceGroups', group, verb, () => {
      const r = this.resources.get(key)!;
      if (verb === 'setNamedPorts') {
        r.namedPorts = structuredClone(body.namedPorts ?? []);
        r.fingerprint = this.id();
      } else {
        const refs = (body.instances ?? []).map((i: { instance: string }) => normalizeRef(i.instance));
        const now = this.members.get(key) ?? [];
        const next = verb === 'addInstances' ? [...new Set([...now, ...refs])] : now.filter((m) => !refs.includes(m));
        this.members.set(key, next.sort());
        r.size = next.length;
      }
      return r;
    });
  }

  listInstances(project: string, zone: string, group: string): Array<{ instance: string; status: string; namedPorts?: unknown[] }> {
    const r = this.get(project, `zones/${zone}`, 'instanceGroups', group);
    return (this.members.get(normalizeRef(r.selfLink)) ?? []).map((m) => ({ instance: SELF_LINK_BASE + m, status: 'RUNNING', ...(r.namedPorts?.length ? { namedPorts: r.namedPorts } : {}) }));
  }

  /** What the load balancer's probes would find; set by GLBC's stand-in from the cluster's ready endpoints. */
  setHealth(project: string, backendService: string, group: string, state: HealthState): void {
    this.health.set(`${ComputeStore.key(project, 'global', 'backendServices', backendService)}|${normalizeRef(group)}`, state);
  }

  /** Per instance of `group` behind `backendService`: its state and, when UNHEALTHY, why (compute-health.ts). */
  healthDetails(project: string, backendService: string, group: string, reachable?: Reachability): Array<{ instance: string; ipAddress: string; port?: number } & InstanceHealth> {
    const bs = this.get(project, 'global', 'backendServices', backendService);
    const groupKey = normalizeRef(group ?? '');
    if (!(bs.backends ?? []).some((b: { group?: string }) => b.group && normalizeRef(b.group) === groupKey)) {
      throw new ComputeError(400, 'invalid', `Invalid value for field 'resource.group': '${group}'. Instance group is not a backend of backend service ${backendService}`);
    }
    const ig = this.lookup(groupKey);
    const port: number | undefined = (ig?.namedPorts ?? []).find((p: { name: string }) => p.name === bs.portName)?.port ?? bs.port;
    const endpoints = this.health.get(`${normalizeRef(bs.selfLink)}|${groupKey}`);
    const firewalls = this.list(project, 'global', 'firewalls');
    const instances = this.members.get(groupKey) ?? [];
    return instances.map((m, i) => {
      const tags: string[] = this.resources.get(m)?.tags?.items ?? [];
      const h = instanceHealth({ endpoints, reachable, firewalls, network: ig?.network, tags, port });
      return { instance: SELF_LINK_BASE + m, ipAddress: `10.128.${instances.length}.${i + 2}`, ...(port ? { port } : {}), ...h };
    });
  }

  /** backendServices.getHealth: Google's shape, healthState only. */
  getHealth(project: string, backendService: string, group: string, reachable?: Reachability): Record<string, any> {
    const status = this.healthDetails(project, backendService, group, reachable).map(({ reason: _reason, state, ...rest }) => ({ ...rest, healthState: state }));
    return { kind: 'compute#backendServiceGroupHealth', ...(status.length ? { healthStatus: status } : {}) };
  }

  snapshot(): ComputeSnapshot {
    const out: ComputeSnapshot = {};
    for (const c of Object.keys(KIND)) out[c] = [];
    for (const [key, r] of [...this.resources.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const collection = key.split('/').at(-2)!;
      out[collection]!.push({ ...structuredClone(r), ...(collection === 'instanceGroups' ? { instances: (this.members.get(key) ?? []).map((m) => SELF_LINK_BASE + m) } : {}) });
    }
    return out;
  }
}
