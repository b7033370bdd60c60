import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { APPROVAL_STEPS } from '../lambda/domain/approval.ts';
import {
  APPROVAL_DATA_SCHEMAS,
  ApprovalEnvelopeSchema,
  dataSchemaUri,
  ENVELOPE_SCHEMA_URI,
} from '../lambda/domain/approval-events.ts';

/**
 * The approval queue's JSON Schemas, generated from the zod schemas of the contract (`lambda/domain/approval-events.ts`):
 * `schemas/approval/v1/<step>.json` describes the `data` of `dev.hookpilot.approval.<step>` (its `$id` is the
 * CloudEvent `dataschema`), `envelope.json` the CloudEvents attributes. `npm run schemas` writes them; a test fails when
 * they are stale. Generated with `io: 'input'`, so no schema forbids unknown properties: additive changes within v1
 * keep validating against older copies of these files.
 */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'approval', 'v1');

const render = (schema: z.ZodType, id: string): string =>
  `${JSON.stringify({ ...z.toJSONSchema(schema, { io: 'input' }), $id: id }, null, 2)}\n`;

/** File name → content, for every schema of the contract. */
export function approvalSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = { 'envelope.json': render(ApprovalEnvelopeSchema, ENVELOPE_SCHEMA_URI) };
  for (const step of APPROVAL_STEPS) files[`${step}.json`] = render(APPROVAL_DATA_SCHEMAS[step], dataSchemaUri(step));
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  const files = approvalSchemaFiles();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(SCHEMA_DIR, name), text);
  const stray = readdirSync(SCHEMA_DIR).filter((name) => !(name in files));
  process.stdout.write(
    `schemas/approval/v1: ${Object.keys(files).length} schemas written${stray.length ? `; not generated (remove them?): ${stray.join(', ')}` : ''}\n`,
  );
}
