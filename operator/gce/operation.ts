// Compute Engine mutations return an Operation, usually PENDING or RUNNING:
// the change is made after the call returns. @google-cloud/compute hands that
// first answer back as is (no promise to wait on), and resolves even for an
// Operation that ends DONE with an `error`. So every mutation goes through
// here: it is polled (operations.wait) until DONE, within a deadline, and an
// Operation that ends with an error is a failure naming the call and the
// resource. Without that, `gce gc` said "deleted" for deletes still running
// (or about to fail), and deleted the next resource before the one pointing
// at it was gone.
import { GceError } from './backend-health.js';

interface OperationLike {
  latestResponse?: unknown;
}

/** operations.wait (or get) of one Operation by name; zonal ones name their zone. */
export type OperationPoller = (name: string, zone: string | undefined, signal: AbortSignal) => Promise<OperationBody>;

/** How long a mutation may take to finish (GCE deletes of backend services take tens of seconds). */
export const OPERATION_DEADLINE_MS = 180_000;

export interface OperationBody {
  name?: string;
  status?: string;
  error?: { errors?: Array<{ code?: string; message?: string }> };
}

/** The error text of a finished Operation, or undefined when it succeeded. */
export function operationError(body: OperationBody | undefined): string | undefined {
  const errs = body?.error?.errors;
  if (!body?.error) return undefined;
  return errs?.length ? errs.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ') : 'the operation ended with an error';
}

/** The zone of a zonal Operation ("https://.../zones/us-east1-b" -> "us-east1-b"). */
function zoneOf(body: OperationBody & { zone?: string }): string | undefined {
  return body.zone ? body.zone.split('/').pop() : undefined;
}

/**
 * Waits until a mutation's Operation is DONE (polling with `poll`, at most
 * `deadlineMs`); throws a GceError naming `call` and `resource` when it ends
 * with an error, or is not DONE in time.
 */
export async function awaitOperation(op: OperationLike, call: string, resource: string, poll: OperationPoller, deadlineMs = OPERATION_DEADLINE_MS): Promise<void> {
  let body = op.latestResponse as (OperationBody & { zone?: string }) | undefined;
  const until = Date.now() + deadlineMs;
  while (body?.status !== undefined && body.status !== 'DONE') {
    const left = until - Date.now();
    if (left <= 0 || !body.name) throw new GceError(`GCE ${call} ${resource}: operation ${body.name ?? '?'} still ${body.status} after ${Math.round(deadlineMs / 1000)} s`, resource);
    const ctrl = new AbortController();
    const before = Date.now();
    body = await withTimeout(poll(body.name, zoneOf(body), ctrl.signal), left, `GCE ${call} ${resource}: operations.wait ${body.name}`, ctrl);
    // operations.wait answers at once when the server cannot hold the call: never ask in a tight loop.
    if (body?.status !== 'DONE' && Date.now() - before < 500) await new Promise((r) => setTimeout(r, 500));
  }
  const err = operationError(body);
  if (err) throw new GceError(`GCE ${call} ${resource}: operation ${body?.name ?? '?'} ended DONE with error: ${err}`, resource);
}

/**
 * Rejects when `p` takes longer than `ms`: a GCE call that hangs must not
 * hold up a tick. With `ctrl`, the call itself is aborted too (its signal
 * went into the call's options), so it does not go on in the background.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string, ctrl?: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { const e = new Error(`${what}: no answer within ${ms}ms`); ctrl?.abort(e); reject(e); }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The options of one bounded call: its own timeout, no hidden retries (the caller's deadline decides), and an abort signal. */
export function callOptions(timeoutMs: number, signal: AbortSignal): { timeout: number; retry: null; signal: AbortSignal; autoPaginate: false } {
  return { timeout: Math.max(1, timeoutMs), retry: null, signal, autoPaginate: false };
}

/** Pages a Compute list call gets at most (500 items a page): a server that sends a page token forever is cut off. */
export const MAX_LIST_PAGES = 200;

type ListCall = (request: object, options: ReturnType<typeof callOptions>) => Promise<unknown[]>;

/**
 * Every item of a Compute list, page by page within one deadline: the
 * library's auto-paging follows nextPageToken without end, and kept a page
 * token that repeats (a broken proxy, a lying server) busy in the background
 * long after the caller gave up.
 */
export async function listAllPages(list: ListCall, request: object, timeoutMs: number, what: string): Promise<unknown[]> {
  const items: unknown[] = [];
  const seen = new Set<string>();
  const until = Date.now() + timeoutMs;
  let next: object | null | undefined = request;
  for (let page = 0; next; page++) {
    if (page >= MAX_LIST_PAGES) throw new Error(`${what}: more than ${MAX_LIST_PAGES} pages`);
    const left = until - Date.now();
    if (left <= 0) throw new Error(`${what}: no answer within ${timeoutMs}ms`);
    const ctrl = new AbortController();
    const [pageItems, nextRequest] = await withTimeout(list(next, callOptions(left, ctrl.signal)), left, what, ctrl) as [unknown[] | null, { pageToken?: string } | null];
    items.push(...(pageItems ?? []));
    const token = nextRequest?.pageToken;
    if (!token) break;
    if (seen.has(token)) throw new Error(`${what}: the server sent page token "${token.slice(0, 40)}" twice`);
    seen.add(token);
    next = nextRequest;
  }
  return items;
}
