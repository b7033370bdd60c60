import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Layers point one way. Top to bottom (docs/architecture.md, "Layers"):
 *
 *   handlers  →  console  →  pipeline  →  recommend | policy  →  okta | store  →  core (domain/, ports.ts, okta/event-hook.ts)  →  base
 *
 * A file may import from its own group and from any lower layer, never from a higher one nor from a sibling group of
 * its own layer (`recommend` and `policy` do not import each other; neither do the two adapter folders `okta` and
 * `store`). `okta/event-hook.ts`, Okta's event schema, belongs to the core: the ports and the queue contracts speak
 * `LogEvent`. Type-only imports count too — a type that points upwards ties the layers together just the same.
 */
const LAYERS: readonly (readonly { readonly group: string; readonly match: (file: string) => boolean }[])[] = [
  [{ group: 'handlers', match: (f) => f.startsWith('lambda/handlers/') }],
  // The approvals console's web layer (pages, sessions, CSRF) over the pipeline's use cases.
  [{ group: 'console', match: (f) => f.startsWith('lambda/console/') }],
  [{ group: 'pipeline', match: (f) => f.startsWith('lambda/pipeline/') }],
  [
    { group: 'recommend', match: (f) => f.startsWith('lambda/recommend/') },
    { group: 'policy', match: (f) => f.startsWith('lambda/policy/') },
  ],
  [
    { group: 'okta', match: (f) => f.startsWith('lambda/okta/') && f !== 'lambda/okta/event-hook.ts' },
    { group: 'store', match: (f) => f.startsWith('lambda/store/') },
    { group: 'telephony', match: (f) => f.startsWith('lambda/telephony/') },
    { group: 'notify', match: (f) => f.startsWith('lambda/notify/') },
  ],
  [
    {
      group: 'core',
      match: (f) => f.startsWith('lambda/domain/') || f === 'lambda/ports.ts' || f === 'lambda/okta/event-hook.ts',
    },
  ],
  [
    {
      group: 'base',
      match: (f) =>
        ['ascii-json.ts', 'config.ts', 'errors.ts', 'json-depth.ts', 'log.ts', 'redact.ts', 'secrets.ts'].some(
          (b) => f === `lambda/${b}`,
        ),
    },
  ],
];

const root = join(dirname(new URL(import.meta.url).pathname), '../..');

function placeOf(file: string): { layer: number; group: string } | undefined {
  for (const [layer, groups] of LAYERS.entries()) {
    const found = groups.find((g) => g.match(file));
    if (found) return { layer, group: found.group };
  }
  return undefined;
}

/** Every module specifier a file imports or re-exports, static or dynamic, values or types. */
function specifiers(source: string): string[] {
  const pattern =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter(Boolean);
}

/** The repository path an import names, for imports inside `lambda/` (relative, or through the `#lambda/*` alias). */
function resolve(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('#lambda/')) return normalize(`lambda/${specifier.slice('#lambda/'.length)}`);
  if (specifier.startsWith('.')) return normalize(join(dirname(file), specifier));
  return undefined;
}

/** The imports of one file that break the layering, as readable lines. */
function violations(file: string, source: string): string[] {
  const from = placeOf(file);
  if (!from) return [`${file} is in no layer: add it to LAYERS (and to docs/architecture.md)`];
  const out: string[] = [];
  for (const specifier of specifiers(source)) {
    const target = resolve(file, specifier);
    if (!target?.startsWith('lambda/')) continue;
    const to = placeOf(target);
    if (!to) {
      out.push(`${file} imports ${target}, which is in no layer`);
    } else if (to.layer < from.layer) {
      out.push(`${file} (${from.group}) imports ${target} (${to.group}, a higher layer)`);
    } else if (to.layer === from.layer && to.group !== from.group) {
      out.push(`${file} (${from.group}) imports ${target} (${to.group}, a sibling of the same layer)`);
    }
  }
  return out;
}

function lambdaFiles(dir = 'lambda'): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return lambdaFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('layering of lambda/', () => {
  it('no file imports from a higher layer or a sibling group', () => {
    const files = lambdaFiles();
    expect(files.length).toBeGreaterThan(30);
    const found = files.flatMap((file) => violations(file, readFileSync(join(root, file), 'utf8')));
    expect(found).toEqual([]);
  });

  it('sees every kind of import that would break it', () => {
    expect(
      violations('lambda/recommend/context.ts', "import type { Intent } from '../pipeline/event-routes.ts';"),
    ).toEqual([
      'lambda/recommend/context.ts (recommend) imports lambda/pipeline/event-routes.ts (pipeline, a higher layer)',
    ]);
    expect(
      violations('lambda/policy/decide.ts', "import {\n  a,\n  b,\n} from '../recommend/validate.ts';"),
    ).toHaveLength(1);
    expect(violations('lambda/store/audit-log.ts', "export { x } from '../okta/hook-auth.ts';")).toHaveLength(1);
    expect(violations('lambda/ports.ts', "const m = await import('./pipeline/process-event.ts');")).toHaveLength(1);
    expect(violations('lambda/domain/catalog.ts', "import { logger } from '#lambda/handlers/http.ts';")).toHaveLength(
      1,
    );
    expect(
      violations('lambda/pipeline/x.ts', "import { a } from '../recommend/y.ts';\nimport { z } from 'zod';"),
    ).toEqual([]);
    expect(violations('lambda/newfolder/x.ts', '')).toHaveLength(1);
  });
});
