/**
 * Just enough JSON Schema for OpenAI structured outputs (the subset strict mode accepts: object, array, string, number,
 * integer, boolean, null, enum, const, anyOf, $ref to `#/definitions/…` or `#/$defs/…`): a minimal valid instance, a
 * validator, a filler that completes partial answers, and the strict-mode rules OpenAI enforces on requests.
 */

export type JsonSchema = Readonly<Record<string, unknown>>;

const MAX_DEPTH = 32;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The schema `$ref` points to (local refs only), or the schema itself. */
function deref(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || depth > MAX_DEPTH) return schema;
  if (ref === '#') return root;
  const match = /^#\/(definitions|\$defs)\/(.+)$/.exec(ref);
  if (!match) return {};
  const [, bucket = '', encoded = ''] = match;
  const name = decodeURIComponent(encoded).replace(/~1/g, '/').replace(/~0/g, '~');
  const defs = root[bucket];
  const target = isRecord(defs) ? defs[name] : undefined;
  return isRecord(target) ? deref(target, root, depth + 1) : {};
}

/** The types a schema allows (`type` as a string or a list); empty when it does not say. */
function typesOf(schema: JsonSchema): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return [];
}

const branches = (schema: JsonSchema): JsonSchema[] => {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) ? list.filter(isRecord) : [];
};

const propertiesOf = (schema: JsonSchema): Record<string, JsonSchema> =>
  isRecord(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};

const requiredOf = (schema: JsonSchema): string[] =>
  Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : [];

export interface InstanceOptions {
  /** The value for every string without an enum/const (default `''`, or `minLength` x's). */
  string?: (path: string) => string;
}

/**
 * A minimal instance of a schema: objects with their required properties, empty arrays (or `minItems` items), `''`,
 * `0` (or the minimum), `false`, nullable → null, enum → its first value, const → its value, anyOf → the null branch
 * if there is one, else the first.
 */
export function minimalInstance(schema: JsonSchema, root: JsonSchema = schema, options: InstanceOptions = {}): unknown {
  const build = (node: JsonSchema, path: string, depth: number): unknown => {
    const s = deref(node, root);
    if (depth > MAX_DEPTH) return null;
    if ('const' in s) return s.const;
    if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
    const anyOf = branches(s);
    if (anyOf.length > 0) {
      const nullBranch = anyOf.find((b) => typesOf(deref(b, root)).includes('null'));
      return build(nullBranch ?? anyOf[0] ?? {}, path, depth + 1);
    }
    const types = typesOf(s);
    if (types.includes('null')) return null;
    const type = types[0] ?? (isRecord(s.properties) ? 'object' : undefined);
    switch (type) {
      case 'object': {
        const properties = propertiesOf(s);
        const out: Record<string, unknown> = {};
        for (const key of requiredOf(s)) out[key] = build(properties[key] ?? {}, `${path}.${key}`, depth + 1);
        return out;
      }
      case 'array': {
        const min = typeof s.minItems === 'number' ? s.minItems : 0;
        const items = isRecord(s.items) ? s.items : {};
        return Array.from({ length: min }, (_, i) => build(items, `${path}[${i}]`, depth + 1));
      }
      case 'string': {
        if (options.string) return options.string(path);
        if (s.format === 'date-time') return new Date(0).toISOString();
        if (s.format === 'date') return '1970-01-01';
        if (s.format === 'email') return 'user@example.com';
        if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
        return 'x'.repeat(typeof s.minLength === 'number' ? s.minLength : 0);
      }
      case 'number':
      case 'integer': {
        // 0 when the bounds allow it (zod's int() says minimum -2^53+1), else the nearest bound
        const low = typeof s.minimum === 'number' ? s.minimum : undefined;
        const lowEx = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : undefined;
        const high = typeof s.maximum === 'number' ? s.maximum : undefined;
        const highEx = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : undefined;
        if (low !== undefined && low > 0) return low;
        if (lowEx !== undefined && lowEx >= 0) return type === 'integer' ? Math.floor(lowEx) + 1 : lowEx + 1;
        if (high !== undefined && high < 0) return high;
        if (highEx !== undefined && highEx <= 0) return type === 'integer' ? Math.ceil(highEx) - 1 : highEx - 1;
        return 0;
      }
      case 'boolean':
        return false;
      default:
        return null;
    }
  };
  return build(schema, '$', 0);
}

const typeOfValue = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? 'integer'
          : 'number'
        : typeof value;

const typeMatches = (type: string, value: unknown): boolean => {
  const actual = typeOfValue(value);
  return actual === type || (type === 'number' && actual === 'integer');
};

/** Where `value` breaks `schema`, one line per problem (`$.actions[0].confidence: expected number, got string`). */
export function validateInstance(value: unknown, schema: JsonSchema, root: JsonSchema = schema): string[] {
  const issues: string[] = [];
  const check = (v: unknown, node: JsonSchema, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    const s = deref(node, root);
    if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) {
      issues.push(`${path}: expected ${JSON.stringify(s.const)}`);
      return;
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
      issues.push(`${path}: expected one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
      return;
    }
    const anyOf = branches(s);
    if (anyOf.length > 0) {
      const fits = anyOf.some((b) => {
        const before = issues.length;
        check(v, b, path, depth + 1);
        const ok = issues.length === before;
        issues.length = before;
        return ok;
      });
      if (!fits) issues.push(`${path}: matches none of the anyOf branches`);
      return;
    }
    const types = typesOf(s);
    if (types.length > 0 && !types.some((t) => typeMatches(t, v))) {
      issues.push(`${path}: expected ${types.join(' or ')}, got ${typeOfValue(v)}`);
      return;
    }
    if (isRecord(v) && (types.includes('object') || isRecord(s.properties))) {
      const properties = propertiesOf(s);
      for (const key of requiredOf(s)) if (!(key in v)) issues.push(`${path}: missing required property "${key}"`);
      for (const [key, child] of Object.entries(v)) {
        const sub = properties[key];
        if (sub) check(child, sub, `${path}.${key}`, depth + 1);
        else if (s.additionalProperties === false) issues.push(`${path}: unexpected property "${key}"`);
        else if (isRecord(s.additionalProperties)) check(child, s.additionalProperties, `${path}.${key}`, depth + 1);
      }
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems)
        issues.push(`${path}: fewer than ${s.minItems} items`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems)
        issues.push(`${path}: more than ${s.maxItems} items`);
      if (isRecord(s.items)) for (const [i, item] of v.entries()) check(item, s.items, `${path}[${i}]`, depth + 1);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) issues.push(`${path}: below the minimum ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) issues.push(`${path}: above the maximum ${s.maximum}`);
    }
    if (typeof v === 'string' && typeof s.pattern === 'string') {
      try {
        if (!new RegExp(s.pattern, 'u').test(v)) issues.push(`${path}: does not match ${s.pattern}`);
      } catch {
        // a pattern JavaScript cannot compile: not checked
      }
    }
  };
  check(value, schema, '$', 0);
  return issues;
}

/**
 * Completes a partial answer: every required property that is missing gets a minimal instance, recursively (into
 * objects, array items and the anyOf branch the value fits). Values that are present are kept as they are, even wrong
 * ones, so a scripted answer can still be deliberately bad.
 */
export function fillRequired(value: unknown, schema: JsonSchema, root: JsonSchema = schema): unknown {
  const fill = (v: unknown, node: JsonSchema, depth: number): unknown => {
    if (depth > MAX_DEPTH) return v;
    const s = deref(node, root);
    const anyOf = branches(s);
    if (anyOf.length > 0) {
      if (v === null) return v;
      const branch = anyOf.find((b) => typesOf(deref(b, root)).some((t) => typeMatches(t, v)));
      return branch ? fill(v, branch, depth + 1) : v;
    }
    if (isRecord(v) && (typesOf(s).includes('object') || isRecord(s.properties))) {
      const properties = propertiesOf(s);
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(v)) {
        const sub = properties[key];
        out[key] = sub ? fill(child, sub, depth + 1) : child;
      }
      for (const key of requiredOf(s)) {
        if (!(key in out)) out[key] = minimalInstance(properties[key] ?? {}, root);
      }
      return out;
    }
    if (Array.isArray(v) && isRecord(s.items)) {
      const items = s.items;
      return v.map((item) => fill(item, items, depth + 1));
    }
    return v;
  };
  return fill(value, schema, 0);
}

/**
 * What OpenAI's strict mode refuses in a `response_format` schema (the root must be an object; every object must list
 * every property in `required` and set `additionalProperties: false`), in OpenAI's words; undefined when it is fine.
 */
export function strictSchemaProblem(schema: JsonSchema): string | undefined {
  const root = deref(schema, schema);
  const rootTypes = typesOf(root);
  if (!rootTypes.includes('object') || branches(root).length > 0) {
    return `schema must be a JSON Schema of 'type: "object"', got 'type: "${rootTypes[0] ?? 'None'}"'.`;
  }
  const seen = new Set<JsonSchema>();
  const visit = (node: unknown, context: string[], depth: number): string | undefined => {
    if (!isRecord(node) || depth > MAX_DEPTH || seen.has(node)) return undefined;
    seen.add(node);
    const where = `In context=(${context.map((c) => `'${c}'`).join(', ')}${context.length === 1 ? ',' : ''})`;
    const isObject = typesOf(node).includes('object') || isRecord(node.properties);
    if (isObject && !('$ref' in node)) {
      if (node.additionalProperties !== false) {
        return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
      }
      const required = requiredOf(node);
      const missing = Object.keys(propertiesOf(node)).filter((k) => !required.includes(k));
      if (missing.length > 0) {
        return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`;
      }
    }
    for (const [key, child] of Object.entries(propertiesOf(node))) {
      const problem = visit(child, [...context, 'properties', key], depth + 1);
      if (problem) return problem;
    }
    if (isRecord(node.items)) {
      const problem = visit(node.items, [...context, 'items'], depth + 1);
      if (problem) return problem;
    }
    for (const [i, branch] of branches(node).entries()) {
      const problem = visit(branch, [...context, 'anyOf', String(i)], depth + 1);
      if (problem) return problem;
    }
    for (const bucket of ['definitions', '$defs']) {
      const defs = node[bucket];
      if (!isRecord(defs)) continue;
      for (const [name, def] of Object.entries(defs)) {
        const problem = visit(def, [...context, bucket, name], depth + 1);
        if (problem) return problem;
      }
    }
    return undefined;
  };
  return visit(root, [], 0);
}
