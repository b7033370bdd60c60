/**
 * How deeply a parsed JSON value nests objects and arrays, measured without recursion (a loop over an explicit stack),
 * so that a hostile body of 500,000 `[` cannot exhaust the call stack here — and, once refused, nowhere after it:
 * `JSON.stringify`, `structuredClone`, the redaction walk and the SDKs' serialisers are all recursive.
 *
 * Returns undefined when `value` nests at most `limit` levels, else the path to a container that goes deeper
 * (e.g. `["data", "events", 3, "debugContext", 0, 0, …]`).
 */
export function pathBeyondDepth(value: unknown, limit: number): (string | number)[] | undefined {
  interface Frame {
    readonly value: unknown;
    readonly depth: number;
    readonly key: string | number | undefined;
    readonly parent: Frame | undefined;
  }
  const stack: Frame[] = [{ value, depth: 0, key: undefined, parent: undefined }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (frame.value === null || typeof frame.value !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > limit) {
      const path: (string | number)[] = [];
      for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) path.unshift(f.key);
      return path;
    }
    const entries: [string | number, unknown][] = Array.isArray(frame.value)
      ? frame.value.map((v, i) => [i, v])
      : Object.entries(frame.value);
    for (const [key, child] of entries) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth, key, parent: frame });
    }
  }
  return undefined;
}
