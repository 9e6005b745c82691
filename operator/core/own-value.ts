// Lookups by strings that come from the fleet or the clusters: cluster names,
// port names, field names. A plain object also answers the names of
// Object.prototype: `rec["constructor"]` (a valid cluster name) is a function,
// not "absent", and that once crashed render (structuredClone of it) and
// planned NaN replicas. Every such lookup goes through here.

/** rec[key] when rec itself has key; undefined otherwise (never an inherited member). */
export function ownValue<T>(rec: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return rec !== undefined && Object.hasOwn(rec, key) ? rec[key] : undefined;
}
