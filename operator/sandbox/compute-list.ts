// List calls as Compute Engine answers them: the `filter` query (the subset
// of its syntax that gitfed, GLBC's stand-in and the client use) and paging
// (`maxResults`, `pageToken`, `nextPageToken`). A filter this does not
// understand is a 400, as Google answers an invalid one: answering with
// every item would hide a caller's mistake, and a GC that trusts a filter
// would delete more than it meant to.
//
// Supported: `field = value`, `field != value` (value may hold `*` wildcards,
// quoted or not), `field eq regexp` / `field ne regexp` (RE2-like, the whole
// value must match), nested fields (`a.b`), and several expressions, each in
// parentheses, joined by whitespace or AND. OR, `:`, `<`, `>` are not.
import { ComputeError, type Resource } from './compute-store.js';

/** Google's default and largest page. */
export const MAX_PAGE = 500;

type Test = (r: Resource) => boolean;

function invalid(filter: string): ComputeError {
  return new ComputeError(400, 'invalid', `Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`);
}

function fieldValue(r: Resource, path: string): string | undefined {
  let v: any = r;
  for (const part of path.split('.')) v = v?.[part];
  if (v === undefined || v === null || typeof v === 'object') return undefined;
  return String(v);
}

function unquote(v: string): string {
  return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
}

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** One `field op value`; undefined when it is not one this stand-in understands. */
function expression(text: string): Test | undefined {
  const m = /^\s*([A-Za-z][\w.]*)\s*(=|!=|\beq\b|\bne\b)\s*("[^"]*"|'[^']*'|[^\s"'()]+)\s*$/.exec(text);
  if (!m) return undefined;
  const [, field, op, raw] = m as unknown as [string, string, string, string];
  const value = unquote(raw);
  let re: RegExp;
  try {
    re = op === 'eq' || op === 'ne' ? new RegExp(`^(?:${value})$`) : new RegExp(`^${value.split('*').map(escapeRe).join('.*')}$`);
  } catch {
    return undefined;
  }
  const negate = op === '!=' || op === 'ne';
  return (r) => {
    const v = fieldValue(r, field);
    const hit = v !== undefined && re.test(v);
    return negate ? !hit : hit;
  };
}

/** The filter as one predicate; throws Google's 400 for anything outside the supported subset. */
export function parseFilter(filter: string): Test {
  const text = filter.trim();
  if (!text) return () => true;
  if (!text.startsWith('(')) {
    const t = expression(text);
    if (!t) throw invalid(filter);
    return t;
  }
  const tests: Test[] = [];
  let rest = text;
  while (rest) {
    const m = /^\(([^()]*)\)\s*(?:AND\s+(?=\())?/.exec(rest);
    if (!m) throw invalid(filter);
    const t = expression(m[1]!);
    if (!t) throw invalid(filter);
    tests.push(t);
    rest = rest.slice(m[0].length).trim();
  }
  return (r) => tests.every((t) => t(r));
}

/** One page of `items` for the query; the page token is the offset, opaque to callers. */
export function listPage<T extends Resource>(items: T[], query: URLSearchParams, pageSize = MAX_PAGE): { items: T[]; nextPageToken?: string } {
  const filter = query.get('filter');
  const kept = filter ? items.filter(parseFilter(filter)) : items;
  const maxRaw = query.get('maxResults');
  const max = maxRaw === null ? pageSize : Number(maxRaw);
  if (!Number.isInteger(max) || max < 0 || max > MAX_PAGE) {
    throw new ComputeError(400, 'invalid', `Invalid value for field 'maxResults': '${maxRaw}'. Must be less than or equal to ${MAX_PAGE}`);
  }
  // The stand-in's own page size (a test's stand-in for a project of more than 500) caps every page.
  const size = Math.max(1, Math.min(max === 0 ? MAX_PAGE : max, pageSize));
  const token = query.get('pageToken');
  let start = 0;
  if (token) {
    const decoded = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw new ComputeError(400, 'invalid', `Invalid value for field 'pageToken': '${token}'. Invalid page token.`);
    start = decoded;
  }
  const page = kept.slice(start, start + size);
  const next = start + size < kept.length ? Buffer.from(String(start + size), 'utf8').toString('base64url') : undefined;
  return { items: page, ...(next ? { nextPageToken: next } : {}) };
}
