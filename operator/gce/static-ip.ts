// Pre-reserve the global static IP an Ingress names in
// kubernetes.io/ingress.global-static-ip-name. Federation v1 raced: it
// created the Ingress in one cluster, waited for an IP, then copied it to
// the others. A reserved address lets every cluster start at once.
import type { GceClients } from './gce-clients.js';
import { GceError } from './backend-health.js';
import { awaitOperation, type OperationBody } from './operation.js';

const anySignal = (a: AbortSignal | undefined, b: AbortSignal) => (a ? AbortSignal.any([a, b]) : b);

export interface StaticIp {
  name: string;
  address: string;
  created: boolean;
}

function isNotFound(e: unknown): boolean {
  const err = e as { code?: number | string; status?: number; message?: string };
  return err.code === 404 || err.code === 5 || err.status === 404 || /\b404\b|not found/i.test(err.message ?? '');
}

/** `signal` aborts the calls (the caller's timeout), so none goes on in the background. */
export async function ensureGlobalAddress(gce: GceClients, project: string, name: string, signal?: AbortSignal): Promise<StaticIp> {
  const o = signal ? { signal } : undefined;
  const resource = `projects/${project}/global/addresses/${name}`;
  let call = 'globalAddresses.get';
  try {
    try {
      const [found] = await gce.globalAddresses.get({ project, address: name }, o);
      return { name, address: found.address ?? '', created: false };
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    call = 'globalAddresses.insert';
    const [op] = await gce.globalAddresses.insert({ project, addressResource: { name, addressType: 'EXTERNAL', ipVersion: 'IPV4' } }, o);
    // The address exists (and has its IP) only once the insert is DONE.
    await awaitOperation(op, call, resource, async (operation, _zone, waitSignal) => {
      const [body] = await gce.globalOperations.wait({ project, operation }, { signal: anySignal(signal, waitSignal), retry: null } as never);
      return body as OperationBody;
    });
    call = 'globalAddresses.get';
    const [created] = await gce.globalAddresses.get({ project, address: name }, o);
    return { name, address: created.address ?? '', created: true };
  } catch (e) {
    if (e instanceof GceError) throw e;
    throw new GceError(`GCE ${call} ${resource}: ${(e as Error).message}`, resource, e);
  }
}

/** The address if it is reserved, else undefined (for read-only commands: nothing is created). */
export async function findGlobalAddress(gce: GceClients, project: string, name: string, signal?: AbortSignal): Promise<StaticIp | undefined> {
  const resource = `projects/${project}/global/addresses/${name}`;
  try {
    const [found] = await gce.globalAddresses.get({ project, address: name }, signal ? { signal } : undefined);
    return { name, address: found.address ?? '', created: false };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw new GceError(`GCE globalAddresses.get ${resource}: ${(e as Error).message}`, resource, e);
  }
}
