import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SCHEMA_DIR } from '../../scripts/approval-schemas.ts';

/**
 * The published JSON Schemas of the approval queue, compiled by a standard validator (Ajv, draft 2020-12), the way a
 * team's consumer in any language would use them.
 */
const ajv = new Ajv2020({ allErrors: true, strict: false });

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

export function publishedSchema(name: string) {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')));
    compiled.set(name, validate);
  }
  return validate;
}

/** Validates an approval queue message body: its envelope, then its `data` against the file its `dataschema` names. */
export function validateApprovalMessage(body: unknown): string[] {
  const envelope = publishedSchema('envelope.json');
  if (!envelope(body)) return (envelope.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  const message = body as { dataschema: string; data: unknown };
  const step = message.dataschema.split(':').at(-1) ?? '';
  const data = publishedSchema(`${step}.json`);
  return data(message.data) ? [] : (data.errors ?? []).map((e) => `data${e.instancePath} ${e.message}`);
}
