import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ACTION_TYPES } from '../lambda/domain/catalog.ts';
import { INTENTS } from '../lambda/domain/intent.ts';
import { formatPath } from '../lambda/okta/zod-issues.ts';
import { LogOutcomeResultSchema } from '../local/okta-sim/okta-schemas.ts';
import {
  DEFAULT_SEED_PATH,
  loadSeed,
  parseSeed,
  type Seed,
  SeedAppSchema,
  SeedGroupSchema,
  type SeedInput,
  SeedRoleSchema,
  SeedUserSchema,
} from '../local/okta-sim/seed.ts';

/**
 * The labelled scenario format of `hookpilot eval` (documented in eval/README.md): one JSON file per case,
 * `eval/scenarios/<intent>/<id>.json`. A case is an org (the simulator's default seed plus a delta), what the System Log
 * and the audit trail already hold (`before`), one Okta event, and the labelled actions a careful admin expects.
 *
 * Additions to the lead's format (all optional): `org.generatedGroups` (many groups without writing each one),
 * `before.signIns[].count` (a burst of identical sign-ins), `expect[].note`.
 */

export const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const EVENT_TYPE = /^[a-z0-9_]+(\.[a-zA-Z0-9_]+)+$/;
const OUTCOME_RESULTS = LogOutcomeResultSchema.options;

const Geo = z.strictObject({
  city: z.string().max(100).nullish(),
  state: z.string().max(100).nullish(),
  country: z.string().max(100).nullish(),
  postalCode: z.string().max(20).nullish(),
  geolocation: z.strictObject({ lat: z.number(), lon: z.number() }).nullish(),
});

const OktaRef = z.string().min(1, 'must not be empty').max(200);

/** Many groups at once (users in hundreds of groups): `count` groups named `<namePrefix>-001`…, each with `members`. */
const GeneratedGroups = z.strictObject({
  namePrefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,60}$/, 'must be letters, digits, spaces, dots, dashes or underscores'),
  count: z.number().int().min(1).max(1000),
  members: z.array(OktaRef).default([]),
  type: z.enum(['OKTA_GROUP']).default('OKTA_GROUP'),
});

const OrgDelta = z.strictObject({
  users: z.array(SeedUserSchema).default([]),
  groups: z.array(SeedGroupSchema).default([]),
  memberships: z.array(z.strictObject({ groupId: OktaRef, userId: OktaRef })).default([]),
  apps: z.array(SeedAppSchema).default([]),
  adminRoles: z.array(SeedRoleSchema).default([]),
  generatedGroups: z.array(GeneratedGroups).default([]),
});

const SignIn = z.strictObject({
  userId: OktaRef,
  outcome: z.enum(['SUCCESS', 'FAILURE'], { error: 'must be SUCCESS or FAILURE' }),
  reason: z.string().max(200).optional(),
  ipAddress: z.string().max(64).optional(),
  userAgent: z.string().max(300).optional(),
  geo: Geo.optional(),
  /** How long before the event (default 5). The context builder reads `policy.context.timelineMinutes` back. */
  minutesAgo: z.number().min(0).max(10_080).default(5),
  /** Identical sign-ins at that moment (a burst): default 1. */
  count: z.number().int().min(1).max(200).default(1),
});

const ProfileValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const Before = z.strictObject({
  previousProfile: z.record(z.string(), ProfileValue).optional(),
  signIns: z.array(SignIn).default([]),
});

/** The event, as `POST /__sim/events` takes it (the simulator's `ControlEventInput`). */
const Event = z.strictObject({
  eventType: z.string().regex(EVENT_TYPE, 'must be an Okta event type such as user.lifecycle.create'),
  actorId: OktaRef.optional(),
  targetIds: z.array(OktaRef).max(20).default([]),
  outcome: z
    .strictObject({
      result: z.enum(OUTCOME_RESULTS, { error: `must be one of ${OUTCOME_RESULTS.join(', ')}` }),
      reason: z.string().max(1000).nullish(),
    })
    .optional(),
  severity: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).optional(),
  displayMessage: z.string().max(2000).optional(),
  debugData: z.record(z.string(), z.unknown()).optional(),
  ipAddress: z.string().max(64).optional(),
  userAgent: z.string().max(300).optional(),
  geo: Geo.optional(),
});

export const LABELS = ['must', 'acceptable', 'must-not'] as const;
export type Label = (typeof LABELS)[number];

const Expectation = z.strictObject({
  label: z.enum(LABELS, { error: 'must be "must", "acceptable" or "must-not"' }),
  type: z.enum(ACTION_TYPES, {
    error: 'must be an action type of the catalog (docs/actions.md), e.g. group.add_member',
  }),
  /** A subset of the action's params that must match; a user, group or app may be named by id or by name. */
  params: z.record(z.string(), z.union([z.string().min(1), z.number(), z.boolean()])).optional(),
  /** Why this label (optional; `why` covers the case as a whole). */
  note: z.string().max(1000).optional(),
});

export const ScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(ID, 'must be lower-case words joined by dashes (the file name without .json)'),
  intent: z.enum(INTENTS, { error: `must be one of ${INTENTS.join(', ')}` }),
  title: z.string().min(1, 'must not be empty').max(200),
  why: z.string().min(1, "must say why the labels are what they are (the labeller's reasoning)").max(4000),
  tags: z.array(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by dashes')).default([]),
  org: OrgDelta.default({
    users: [],
    groups: [],
    memberships: [],
    apps: [],
    adminRoles: [],
    generatedGroups: [],
  }),
  before: Before.default({ signIns: [] }),
  event: Event,
  expect: z.array(Expectation).min(1, 'must label at least one action (use must-not to say what must not happen)'),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Expectation = z.output<typeof Expectation>;
export type ScenarioSignIn = z.output<typeof SignIn>;

/** A loaded case: the validated scenario, the file it came from and the simulator seed it runs in. */
export interface LoadedScenario {
  readonly scenario: Scenario;
  /** The file, relative to the working directory when it is below it. */
  readonly file: string;
  readonly seed: Seed;
}

/** Cases that cannot be used: the message names each file and field, one problem per line. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? `invalid scenario: ${problems[0]}`
        : `${problems.length} problems in the scenarios:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/** Deterministic Okta group id for a generated group (`00g` + 17 letters and digits). */
export function generatedGroupId(name: string): string {
  const digest = createHash('sha256').update(`hookpilot-eval-group:${name}`).digest('base64url');
  return `00g${digest
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 17)
    .padEnd(17, '0')}`;
}

/** The names of a generated-groups block, in order. */
export function generatedGroupNames(block: { namePrefix: string; count: number }): string[] {
  const width = Math.max(3, String(block.count).length);
  return Array.from({ length: block.count }, (_, i) => `${block.namePrefix}-${String(i + 1).padStart(width, '0')}`);
}

let defaultSeed: Seed | undefined;
const baseSeed = (): Seed => {
  defaultSeed ??= loadSeed(DEFAULT_SEED_PATH);
  return defaultSeed;
};

/**
 * The seed a case runs in: the default seed with the case's users, groups, apps and roles added (or replacing those
 * with the same id), its memberships added to existing groups and its generated groups created. `ref` resolves a
 * user or group named by id, login or name; unknown ones are reported as problems (prefixed with the field).
 */
export function seedFor(scenario: Scenario, base: Seed = baseSeed()): { seed: SeedInput; problems: string[] } {
  const problems: string[] = [];
  const seed: Seed = structuredClone(base);
  const upsert = <T extends { id: string }>(list: T[], items: readonly T[]) => {
    for (const item of items) {
      const i = list.findIndex((x) => x.id === item.id);
      if (i >= 0) list[i] = structuredClone(item);
      else list.push(structuredClone(item));
    }
  };
  upsert(seed.users, scenario.org.users);
  upsert(seed.groups, scenario.org.groups);
  upsert(seed.apps, scenario.org.apps);
  seed.adminRoles.push(...structuredClone(scenario.org.adminRoles));

  const userRef = (ref: string) =>
    seed.users.find((u) => u.id === ref || u.profile.login.toLowerCase() === ref.toLowerCase())?.id;
  const groupRef = (ref: string) => seed.groups.find((g) => g.id === ref || g.profile.name === ref);

  scenario.org.memberships.forEach((m, i) => {
    const group = groupRef(m.groupId);
    const user = userRef(m.userId);
    if (!group) problems.push(`org.memberships[${i}].groupId: no group ${m.groupId} in the org`);
    if (!user) problems.push(`org.memberships[${i}].userId: no user ${m.userId} in the org`);
    if (group && user && !group.members.includes(user)) group.members.push(user);
  });
  scenario.org.generatedGroups.forEach((block, i) => {
    const members: string[] = [];
    block.members.forEach((ref, j) => {
      const user = userRef(ref);
      if (user) members.push(user);
      else problems.push(`org.generatedGroups[${i}].members[${j}]: no user ${ref} in the org`);
    });
    for (const name of generatedGroupNames(block)) {
      seed.groups.push({ id: generatedGroupId(name), type: block.type, profile: { name }, members: [...members] });
    }
  });
  return { seed, problems };
}

/** The object a reference names in a seed: a user by id or login, a group by id or name, an app by id, label or name. */
export function resolveRef(seed: Seed, ref: string): { kind: 'user' | 'group' | 'app'; id: string } | undefined {
  const user = seed.users.find((u) => u.id === ref || u.profile.login.toLowerCase() === ref.toLowerCase());
  if (user) return { kind: 'user', id: user.id };
  const group = seed.groups.find((g) => g.id === ref || g.profile.name === ref);
  if (group) return { kind: 'group', id: group.id };
  const app = seed.apps.find((a) => a.id === ref || a.label === ref || a.name === ref);
  if (app) return { kind: 'app', id: app.id };
  return undefined;
}

/** Which params name a user, a group or an app (their values may be ids or names in a case's `expect`). */
export const REF_PARAMS: Readonly<Record<string, 'user' | 'group' | 'app'>> = {
  userId: 'user',
  groupId: 'group',
  appId: 'app',
};

/** Validates one case (parsed JSON) from `file`; returns it with its seed, or the problems, each naming file and field. */
export function parseScenario(
  json: unknown,
  file: string,
  base?: Seed,
): { ok: true; value: LoadedScenario } | { ok: false; problems: string[] } {
  const parsed = ScenarioSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => `${file}: ${formatPath(issue.path)}: ${issue.message}`),
    };
  }
  const scenario = parsed.data;
  const problems: string[] = [];
  const expectedId = basename(file, '.json');
  if (scenario.id !== expectedId) problems.push(`id: "${scenario.id}" is not the file name (expected "${expectedId}")`);
  const folder = basename(dirname(file));
  if ((INTENTS as readonly string[]).includes(folder) && folder !== scenario.intent) {
    problems.push(`intent: "${scenario.intent}" but the file is in the ${folder}/ folder`);
  }
  const merged = seedFor(scenario, base);
  problems.push(...merged.problems);
  let seed: Seed | undefined;
  try {
    seed = parseSeed(merged.seed, 'org');
  } catch (error) {
    const lines = (error as Error).message.split('\n').slice(1);
    problems.push(...lines.map((l) => `org (merged with the default seed): ${l.replace(/^\s+-\s+/, '')}`));
  }
  if (seed) {
    const s = seed;
    const known = (field: string, ref: string | undefined, kinds: readonly string[]) => {
      if (ref === undefined) return;
      const found = resolveRef(s, ref);
      if (!found || !kinds.includes(found.kind)) problems.push(`${field}: no ${kinds.join(' or ')} ${ref} in the org`);
    };
    known('event.actorId', scenario.event.actorId, ['user']);
    scenario.event.targetIds.forEach((t, i) => {
      known(`event.targetIds[${i}]`, t, ['user', 'group', 'app']);
    });
    scenario.before.signIns.forEach((signIn, i) => {
      known(`before.signIns[${i}].userId`, signIn.userId, ['user']);
    });
    scenario.expect.forEach((e, i) => {
      for (const [key, value] of Object.entries(e.params ?? {})) {
        const kind = REF_PARAMS[key];
        if (kind && typeof value === 'string') known(`expect[${i}].params.${key}`, value, [kind]);
      }
    });
  }
  if (problems.length > 0 || !seed) return { ok: false, problems: problems.map((p) => `${file}: ${p}`) };
  return { ok: true, value: { scenario, file, seed } };
}

/** Every `<intent>/<id>.json` below `dir`, sorted. Other files are ignored; a JSON file elsewhere is a problem. */
export function scenarioFiles(dir: string = SCENARIOS_DIR): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  const root = resolve(dir);
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return { files, problems: [`${dir}: no such directory`] };
  }
  for (const entry of entries.sort()) {
    const path = join(root, entry);
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name.endsWith('.json')) files.push(join(path, name));
      }
    } else if (entry.endsWith('.json')) {
      problems.push(`${display(path)}: a case belongs in a folder named after its intent (${INTENTS.join(', ')})`);
    }
  }
  return { files, problems };
}

const display = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
};

/**
 * Loads and validates every case below `dir` (default `eval/scenarios`). Throws one `ScenarioError` listing every
 * problem of every file (so one run shows them all); ids must be unique across the set.
 */
export function loadScenarios(dir: string = SCENARIOS_DIR): LoadedScenario[] {
  const { files, problems } = scenarioFiles(dir);
  const loaded: LoadedScenario[] = [];
  const ids = new Map<string, string>();
  for (const path of files) {
    const file = display(path);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      problems.push(`${file}: not valid JSON: ${(error as Error).message.split('\n', 1)[0]}`);
      continue;
    }
    const result = parseScenario(json, file);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const other = ids.get(result.value.scenario.id);
    if (other) problems.push(`${file}: id: "${result.value.scenario.id}" is also the id of ${other}`);
    ids.set(result.value.scenario.id, file);
    loaded.push(result.value);
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  return loaded;
}
