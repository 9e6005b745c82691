// Compute Engine mutations return an Operation. @google-cloud/compute resolves
// the call (and op.promise()) even when that Operation ends DONE with an
// `error`, so every mutation goes through here: such an Operation is a
// failure that names the call and the resource.
import { GceError } from './backend-health.js';

interface OperationLike {
  latestResponse?: unknown;
  promise?: () => Promise<unknown>;
}

interface OperationBody {
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

/** Waits for a mutation's Operation; throws a GceError naming `call` and `resource` when it ends with an error. */
export async function awaitOperation(op: OperationLike, call: string, resource: string): Promise<void> {
  if (op.promise) await op.promise();
  const err = operationError(op.latestResponse as OperationBody | undefined);
  if (err) throw new GceError(`GCE ${call} ${resource}: operation ${(op.latestResponse as OperationBody).name ?? '?'} ended DONE with error: ${err}`, resource);
}

/** Rejects when `p` takes longer than `ms`: a GCE call that hangs must not hold up a tick. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms}ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
