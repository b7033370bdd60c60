import type { core } from 'zod/mini';

/** zod issues as `{path, message}` with JSON-ish paths (`data.events[0].uuid`), at most 20 of them. */
export function describeIssues(error: core.$ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
}

/** A JSON-ish path: `data.events[0].uuid`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || '(root)'
  );
}
