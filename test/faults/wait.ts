// Waiting for conditions (never for a fixed time): poll until a check holds
// or a bound passes. The bound only decides when to give up and report.

export async function waitFor<T>(timeoutMs: number, check: () => Promise<T | undefined | false> | T | undefined | false, intervalMs = 200): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch { /* not yet */ }
    if (Date.now() >= until) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
