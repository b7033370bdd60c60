import { E } from './errors.ts';

/** A sort key: compared element by element (numbers numerically, strings by code unit). */
export type SortKey = ReadonlyArray<string | number>;

export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** The opaque `after` cursor: the sort key of the last item of the previous page, base64url-encoded. */
export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(after: string): SortKey {
  try {
    const key: unknown = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.every((k) => typeof k === 'string' || typeof k === 'number')) return key;
  } catch {
    // fall through
  }
  throw E.validation('after', ['after: The cursor is not valid. Use the Link header of the previous page.']);
}

export interface Page<T> {
  items: T[];
  /** Present when more items follow. */
  nextCursor?: string;
}

/**
 * One page of `items` (already sorted by `key`, ascending, or descending when `descending`), starting after the cursor.
 * Cursors are keys, not offsets, so a page stays correct when items are added or removed between requests.
 */
export function paginate<T>(
  items: readonly T[],
  key: (item: T) => SortKey,
  options: { after?: string | null; limit: number; descending?: boolean },
): Page<T> {
  let start = 0;
  if (options.after) {
    const afterKey = decodeCursor(options.after);
    start = items.findIndex((item) => {
      const c = compareKeys(key(item), afterKey);
      return options.descending ? c < 0 : c > 0;
    });
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + options.limit);
  const last = slice.at(-1);
  const more = start + options.limit < items.length;
  return more && last !== undefined ? { items: slice, nextCursor: encodeCursor(key(last)) } : { items: slice };
}

/** Reads `limit`: the default when absent, an integer clamped to `max`; 400 E0000001 when not a number. */
export function parseLimit(query: URLSearchParams, options: { default: number; max: number; min?: number }): number {
  const raw = query.get('limit');
  if (raw === null || raw === '') return options.default;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw E.validation('limit', [`limit: "${raw}" is not an integer`]);
  if (n < (options.min ?? 1)) return options.default;
  return Math.min(n, options.max);
}

/**
 * `Link` header values as Okta sends them: `<…>; rel="self"` with the request's own query, and `<…>; rel="next"` with
 * the same query plus the new `after` cursor (and without `since`, which `after` replaces in System Log queries).
 */
export function linkHeaders(
  baseUrl: string,
  path: string,
  query: URLSearchParams,
  nextCursor: string | undefined,
  limit: number,
): string[] {
  const self = query.toString();
  const links = [`<${baseUrl}${path}${self ? `?${self}` : ''}>; rel="self"`];
  if (nextCursor !== undefined) {
    const next = new URLSearchParams(query);
    next.delete('since');
    next.set('after', nextCursor);
    next.set('limit', String(limit));
    links.push(`<${baseUrl}${path}?${next.toString()}>; rel="next"`);
  }
  return links;
}
