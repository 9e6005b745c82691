// Shapes of the two state files render reads: observations (what clusters
// look like, keyed by cluster name) and allocations (decisions to keep).
// Pure checks of already-parsed YAML; errors name the file and the key.
import {
  type Allocations, type ClusterHealth, type ClusterObservation, type Finding, type ObservationFailures, type Observations, emptyAllocations,
} from './model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const HEALTH = new Set<ClusterHealth>(['Ready', 'NotReady', 'Offline', 'Unknown']);
const FAILABLE = new Set<keyof ObservationFailures>(['nodePorts', 'ingressUid', 'ingresses', 'workloads']);

function err(file: string, where: string, message: string): Finding {
  return { severity: 'error', code: 'StateFileInvalid', place: { file, line: 1, col: 1 }, message: `${where}: ${message}` };
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** Observations file: `{<cluster>: {health, nodePorts, ingressUid, ingresses, workloads, zone, failed}}`. */
export function parseObservations(raw: unknown, file: string): { observations: Observations; findings: Finding[] } {
  const findings: Finding[] = [];
  const observations: Observations = {};
  if (raw === null || raw === undefined) return { observations, findings };
  if (!isObj(raw)) return { observations, findings: [err(file, 'top level', 'expected a mapping of cluster name to observation')] };
  for (const [cluster, o] of Object.entries(raw)) {
    if (!isObj(o)) {
      findings.push(err(file, cluster, 'expected a mapping with health, nodePorts, ingressUid, ingresses, workloads'));
      continue;
    }
    const health = (o.health ?? 'Ready') as ClusterHealth;
    if (!HEALTH.has(health)) findings.push(err(file, `${cluster}.health`, `must be Ready, NotReady, Offline or Unknown, got ${JSON.stringify(o.health)}`));
    const obs: ClusterObservation = {
      health,
      nodePorts: list(o.nodePorts).map((p) => ({
        port: Number(p.port), namespace: String(p.namespace ?? 'default'), service: String(p.service ?? ''),
        ...(p.servicePort !== undefined ? { servicePort: String(p.servicePort) } : {}),
      })),
      ingresses: list(o.ingresses).map((i) => ({
        namespace: String(i.namespace ?? 'default'), name: String(i.name ?? ''),
        ...(typeof i.ingressClass === 'string' ? { ingressClass: i.ingressClass } : {}),
        ...(isObj(i.annotations) ? { annotations: i.annotations as Record<string, string> } : {}),
      })),
      workloads: list(o.workloads).map((w) => ({
        kind: String(w.kind ?? 'Deployment'), namespace: String(w.namespace ?? 'default'), name: String(w.name ?? ''),
        replicas: Number(w.replicas ?? 0), readyReplicas: Number(w.readyReplicas ?? 0),
        ...(w.unschedulable !== undefined ? { unschedulable: Number(w.unschedulable) } : {}),
      })),
    };
    for (const p of obs.nodePorts) if (!Number.isInteger(p.port)) findings.push(err(file, `${cluster}.nodePorts`, 'every entry needs a numeric port'));
    if (isObj(o.ingressUid)) {
      const u = o.ingressUid;
      obs.ingressUid = {
        ...(typeof u.uid === 'string' ? { uid: u.uid } : {}),
        ...(typeof (u.providerUid ?? u['provider-uid']) === 'string' ? { providerUid: String(u.providerUid ?? u['provider-uid']) } : {}),
      };
    }
    if (typeof o.zone === 'string') obs.zone = o.zone;
    if (o.failed !== undefined) {
      if (!isObj(o.failed)) findings.push(err(file, `${cluster}.failed`, 'expected a mapping of part (nodePorts, ingressUid, ingresses, workloads) to the error'));
      else {
        const failed: ObservationFailures = {};
        for (const [part, why] of Object.entries(o.failed)) {
          if (!FAILABLE.has(part as keyof ObservationFailures)) findings.push(err(file, `${cluster}.failed.${part}`, `unknown part; expected one of ${[...FAILABLE].join(', ')}`));
          else failed[part as keyof ObservationFailures] = String(why);
        }
        obs.failed = failed;
      }
    }
    observations[cluster] = obs;
  }
  return { observations, findings };
}

/** Allocations file, as render writes it. */
export function parseAllocations(raw: unknown, file: string): { allocations: Allocations; findings: Finding[] } {
  const allocations = emptyAllocations();
  if (raw === null || raw === undefined) return { allocations, findings: [] };
  if (!isObj(raw)) return { allocations, findings: [err(file, 'top level', 'expected a mapping with nodePorts and glbc')] };
  const findings: Finding[] = [];
  if (isObj(raw.nodePorts)) {
    for (const [svc, ports] of Object.entries(raw.nodePorts)) {
      if (!isObj(ports)) { findings.push(err(file, `nodePorts.${svc}`, 'expected a mapping of port to node port')); continue; }
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(ports)) {
        if (!Number.isInteger(v)) findings.push(err(file, `nodePorts.${svc}.${k}`, `expected a port number, got ${JSON.stringify(v)}`));
        else out[k] = v as number;
      }
      allocations.nodePorts[svc] = out;
    }
  }
  if (isObj(raw.glbc)) {
    if (typeof raw.glbc.uid === 'string') allocations.glbc.uid = raw.glbc.uid;
    if (isObj(raw.glbc.providerUids)) {
      for (const [c, v] of Object.entries(raw.glbc.providerUids)) if (typeof v === 'string') allocations.glbc.providerUids[c] = v;
    }
  }
  return { allocations, findings };
}
