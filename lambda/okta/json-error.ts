/**
 * Where a text stops being valid JSON, as `line L, column C` (1-based), for error messages that must say where the body
 * is wrong without echoing any of it (V8's own messages quote a fragment of the input, which may hold a secret).
 * V8 states the offset for most errors (`… at position N`) but not for an unexpected token: then the offset is found as
 * the end of the longest prefix that is still the start of a JSON text (a binary search, a few parses of the body).
 */
export function jsonErrorLocation(text: string, error: unknown): string {
  const offset = statedOffset(error) ?? longestViablePrefix(text);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

function statedOffset(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /at position (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** A prefix is viable when parsing it fails only because it ends (or succeeds). Longer prefixes are never more viable. */
function viable(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    if (/Unexpected end of JSON input/.test((error as Error).message)) return true;
    const offset = statedOffset(error);
    return offset !== undefined && offset >= prefix.length;
  }
}

function longestViablePrefix(text: string): number {
  if (viable(text)) return text.length; // it only ends too early
  let low = 0; // viable ('' is)
  let high = text.length; // not viable (the whole text failed)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (viable(text.slice(0, mid))) low = mid;
    else high = mid;
  }
  return low;
}
