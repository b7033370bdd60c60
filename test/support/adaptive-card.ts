import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

/**
 * Validates an Adaptive Card against version 1.5 with Microsoft's own Adaptive Cards library (`adaptivecards`, the
 * reference JavaScript renderer and parser). No npm package ships the 1.5 JSON Schema, so the library's parser is the
 * authority: it reports unknown element types and invalid property values as parse events, `validateProperties()`
 * reports structural problems, and serialising the parsed card back (for 1.5) must give back exactly what went in —
 * a property the 1.5 object model does not know is dropped on that round trip, so it shows up as a difference.
 * `msteams` is Teams' own documented extension (e.g. `width: "Full"`), outside the card schema: it is set aside.
 */
const require = createRequire(import.meta.url);
// The package's ESM build imports without file extensions (Node cannot load it); its UMD build is the same code.
const AC = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

export function adaptiveCardProblems(card: unknown): string[] {
  const problems: string[] = [];
  const json = structuredClone(card) as Record<string, unknown>;
  if (json.type !== 'AdaptiveCard') problems.push('type must be AdaptiveCard');
  if (json.version !== '1.5') problems.push(`version must be "1.5" (got ${JSON.stringify(json.version)})`);
  delete json.msteams;
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  const parsed = new AC.AdaptiveCard();
  parsed.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const event of parsed.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  const back = parsed.toJSON(new AC.SerializationContext(AC.Versions.v1_5));
  if (!isDeepStrictEqual(normalise(back), normalise(json))) {
    problems.push(`round trip differs (unknown or misplaced properties): ${JSON.stringify(diff(json, back))}`);
  }
  return problems;
}

/** JSON with its keys sorted, for comparison. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, normalise(v)]),
    );
  }
  return value;
}

/** The paths where two JSON values differ (for a readable failure). */
function diff(a: unknown, b: unknown, path = '$'): string[] {
  if (isDeepStrictEqual(normalise(a), normalise(b))) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return [`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}
