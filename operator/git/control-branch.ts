// Branch gitfed/control: what people decide about rollouts (approvals,
// pauses, aborts), one commit each, so Git's history says who and when. The
// operator reads control.yaml on every tick; `gitfed rollout` writes it.
import { parse, stringify } from 'yaml';
import type { GitAuth } from './credentials.js';
import { StatusWriter } from './status-writer.js';

export const CONTROL_BRANCH = 'gitfed/control';
export const CONTROL_FILE = 'control.yaml';

export interface ControlBranchOptions {
  dir: string;
  url: string;
  branch?: string;
  auth?: GitAuth;
  author: { name: string; email: string };
  /** Every git request must be done within this long (--git-timeout; default 60 s). */
  timeoutMs?: number;
}

function writer(o: ControlBranchOptions): StatusWriter {
  return new StatusWriter({ dir: o.dir, url: o.url, branch: o.branch ?? CONTROL_BRANCH, author: o.author, ...(o.auth ? { auth: o.auth } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
}

export function readControlFile(o: ControlBranchOptions): Promise<string | undefined> {
  return writer(o).readFile(CONTROL_FILE);
}

/**
 * Change control.yaml in one commit. `change` gets the current content and
 * returns the new one; a push that loses a race reads the new head and
 * applies the change again, so two people approving at once both land.
 */
export async function updateControl(o: ControlBranchOptions, message: string, change: (current: Record<string, unknown>) => Record<string, unknown>): Promise<{ committed: boolean; oid?: string }> {
  for (let attempt = 1; ; attempt++) {
    const w = new StatusWriter({ dir: o.dir, url: o.url, branch: o.branch ?? CONTROL_BRANCH, author: o.author, maxAttempts: 1, ...(o.auth ? { auth: o.auth } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    const text = await w.readFile(CONTROL_FILE);
    const current = (text ? parse(text) : null) as Record<string, unknown> | null;
    const next = change(current && typeof current === 'object' ? current : {});
    try {
      return await w.write(new Map([[CONTROL_FILE, stringify(next)]]), message);
    } catch (e) {
      if (attempt >= 5 || !/non-fast-forward|fetch first|rejected/i.test(`${(e as Error).name} ${(e as Error).message}`)) throw e;
    }
  }
}
