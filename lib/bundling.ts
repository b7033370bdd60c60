import { resolve } from 'node:path';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions, LogLevel as EsbuildLogLevel, Format } from 'esbuild';
import { ROOT } from './root.ts';

/**
 * How every function is built, in one place: the stack passes `BUNDLING` to each `NodejsFunction`, and tests and
 * benchmarks call `esbuildOptions(entry)` to bundle an entry exactly the same way with esbuild's API.
 */

export { ROOT };

/** The Lambda runtime of every function, and the esbuild target that matches it. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;
export const ESBUILD_TARGET = 'node22';

/**
 * ESM output needs a real `require` for the CommonJS dependencies that call `require('os')` and the like (esbuild's shim
 * otherwise throws "Dynamic require of ... is not supported"). The alias avoids clashing with bundled identifiers.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __hookpilotCreateRequire } from 'node:module'; const require = __hookpilotCreateRequire(import.meta.url);";

/**
 * The AWS SDK is bundled too (`externalModules: []`): the functions run the versions pinned in package-lock.json, not
 * whatever the runtime ships. Source maps without embedded sources keep the bundles small; the functions set
 * `NODE_OPTIONS=--enable-source-maps` so stack traces point at the TypeScript.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: ESBUILD_TARGET,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: [] as string[],
  logLevel: LogLevel.WARNING,
} satisfies BundlingOptions;

/** The environment variable that turns the bundles' source maps on. */
export const SOURCE_MAP_NODE_OPTIONS = '--enable-source-maps';

/** The lock file (and project root) NodejsFunction bundles from, so synth works from any working directory. */
export const LOCK_FILE = resolve(ROOT, 'package-lock.json');

/**
 * esbuild API options equivalent to what `NodejsFunction` runs with `BUNDLING` (it calls the esbuild CLI with
 * `--bundle --platform=node` and these settings). `entry` is relative to the repository root.
 */
export function esbuildOptions(entry: string): BuildOptions & { entryPoints: string[] } {
  return {
    entryPoints: [resolve(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: BUNDLING.target,
    // The CDK enums carry esbuild's own option values.
    format: BUNDLING.format as Format,
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: [...BUNDLING.externalModules],
    logLevel: BUNDLING.logLevel as EsbuildLogLevel,
    outfile: resolve(ROOT, 'cdk.out', 'esbuild', 'index.mjs'),
  };
}

/** Bundles a manifest entry in memory with the stack's options (metafile on, nothing written). */
export async function bundle(entry: string, outfile?: string) {
  const { build } = await import('esbuild');
  const options = esbuildOptions(entry);
  return build({ ...options, outfile: outfile ?? options.outfile, metafile: true, write: false });
}

/** The minified size of an entry's bundle and every input file in it (paths relative to the repository root). */
export async function bundleEntry(entry: string): Promise<{ bytes: number; mapBytes: number; inputs: string[] }> {
  const result = await bundle(entry);
  const size = (suffix: string) => result.outputFiles.find((f) => f.path.endsWith(suffix))?.contents.byteLength ?? 0;
  return { bytes: size('.mjs'), mapBytes: size('.mjs.map'), inputs: Object.keys(result.metafile.inputs) };
}
