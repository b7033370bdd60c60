/**
 * Scaffolds a labelled case for `hookpilot eval` (eval/README.md, "Adding your own cases"):
 *
 *   npx tsx eval/tools/new-case.ts <intent> <id>                 a template for the intent, with fresh Okta ids
 *   npx tsx eval/tools/new-case.ts --from-audit <file> <id>      from one event's audit trail: the recorded event and
 *                                                                recommendation, and what the approvers decided
 *
 * `<file>` is what `npx hookpilot audit --event <uuid> --json` prints (a JSON array of audit records), from the local
 * stack or a deployed one. The case is written to eval/scenarios/<intent>/<id>.json (never over an existing file unless
 * `--force`), checked with the loader, and the parts only a human can fill in are listed. Nothing here calls Okta.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { INTENTS, type Intent } from '../../lambda/domain/intent.ts';
import type { AuditRecord } from '../../lambda/ports.ts';
import { newId } from '../../local/okta-sim/ids.ts';
import { DEFAULT_SEED_PATH, loadSeed, type Seed } from '../../local/okta-sim/seed.ts';
import { parseScenario, SCENARIOS_DIR, type ScenarioInput } from '../scenario.ts';

/** The seed's API-token owner (Sarah Mitchell, IT): the actor of administrative events in the templates. */
const ADMIN_ID = '00uBTZRp5XyGWe0MSOCU';
const TODO_WHY = 'TODO: why each label is right, from the policy (policy/hookpilot.policy.json) and Okta practice.';
const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export class NewCaseError extends Error {
  override readonly name = 'NewCaseError';
}

type Json = Record<string, unknown>;
type Expect = ScenarioInput['expect'][number];

function newUser(first: string, last: string, profile: Json, status = 'ACTIVE'): Json & { id: string } {
  const login = `${first}.${last}.${Date.now().toString(36)}@acme-demo.example`.toLowerCase();
  return {
    id: newId('user'),
    status,
    factors: status === 'STAGED' || status === 'PROVISIONED' ? [] : ['okta_verify'],
    profile: {
      login,
      email: login,
      firstName: first,
      lastName: last,
      displayName: `${first} ${last}`,
      userType: 'Employee',
      organization: 'Acme Corp',
      ...profile,
    },
  };
}

const sales = { title: 'Account Executive', department: 'Sales', division: 'Go-To-Market', city: 'London' };
const engineering = {
  title: 'Software Engineer',
  department: 'Engineering',
  division: 'Research & Development',
  city: 'London',
};

/** A template case for an intent: a fresh user (new Okta id) in a plausible situation, labelled as an example. */
export function templateCase(intent: Intent, id: string): ScenarioInput {
  const base = { id: checkedId(id, intent), intent, why: TODO_WHY, tags: [intent] };
  switch (intent) {
    case 'joiner': {
      const user = newUser('New', 'Joiner', { ...sales, countryCode: 'GB' });
      return {
        ...base,
        title: 'TODO: a new Account Executive in London is activated',
        org: { users: [user] } as ScenarioInput['org'],
        event: { eventType: 'user.lifecycle.activate', actorId: ADMIN_ID, targetIds: [user.id] },
        expect: [
          { label: 'must', type: 'group.add_member', params: { groupId: 'dept-sales' } },
          { label: 'must', type: 'group.add_member', params: { groupId: 'loc-london' } },
          { label: 'must-not', type: 'group.add_member', params: { groupId: 'salesforce-admins' } },
          { label: 'must-not', type: 'role.assign' },
        ],
      };
    }
    case 'mover': {
      const user = newUser('Moving', 'Engineer', { ...sales, countryCode: 'GB' });
      return {
        ...base,
        title: 'TODO: a London engineer moves to Sales',
        org: {
          users: [user],
          memberships: [
            { groupId: 'dept-engineering', userId: user.id },
            { groupId: 'loc-london', userId: user.id },
          ],
        } as ScenarioInput['org'],
        before: { previousProfile: { ...engineering, countryCode: 'GB' } },
        event: {
          eventType: 'user.account.update_profile',
          actorId: ADMIN_ID,
          targetIds: [user.id],
          debugData: { changedAttributes: 'department,title,division' },
        },
        expect: [
          { label: 'must', type: 'group.add_member', params: { groupId: 'dept-sales' } },
          { label: 'must', type: 'group.remove_member', params: { groupId: 'dept-engineering' } },
          { label: 'must-not', type: 'group.remove_member', params: { groupId: 'loc-london' } },
        ],
      };
    }
    case 'leaver': {
      const user = newUser('Leaving', 'Admin', { ...sales, countryCode: 'GB' }, 'DEPROVISIONED');
      return {
        ...base,
        title: 'TODO: a Salesforce admin in Sales is deactivated',
        org: {
          users: [user],
          memberships: ['dept-sales', 'loc-london', 'salesforce-admins'].map((groupId) => ({
            groupId,
            userId: user.id,
          })),
        } as ScenarioInput['org'],
        event: { eventType: 'user.lifecycle.deactivate', actorId: ADMIN_ID, targetIds: [user.id] },
        expect: [
          { label: 'must', type: 'group.remove_member', params: { groupId: 'salesforce-admins' } },
          { label: 'acceptable', type: 'group.remove_member', params: { groupId: 'dept-sales' } },
          { label: 'must-not', type: 'user.activate' },
        ],
      };
    }
    case 'membership': {
      const user = newUser('Added', 'Seller', { ...sales, countryCode: 'GB' });
      const financeApprovers = '00g3nawpsS2voCQ7XIUX';
      return {
        ...base,
        title: 'TODO: an Account Executive is added to finance-approvers',
        org: {
          users: [user],
          memberships: ['dept-sales', 'loc-london', 'finance-approvers'].map((groupId) => ({
            groupId,
            userId: user.id,
          })),
        } as ScenarioInput['org'],
        event: { eventType: 'group.user_membership.add', actorId: ADMIN_ID, targetIds: [user.id, financeApprovers] },
        expect: [
          { label: 'must', type: 'group.remove_member', params: { groupId: 'finance-approvers' } },
          { label: 'must-not', type: 'user.suspend' },
        ],
      };
    }
    case 'security': {
      const user = newUser('Targeted', 'User', { ...sales, countryCode: 'GB' });
      const where = { ipAddress: '203.0.113.10', geo: { city: 'Lagos', country: 'Nigeria' } };
      return {
        ...base,
        title: 'TODO: six failed sign-ins from a country the user never signs in from',
        org: { users: [user] } as ScenarioInput['org'],
        before: {
          signIns: [
            { userId: user.id, outcome: 'FAILURE', reason: 'INVALID_CREDENTIALS', ...where, minutesAgo: 10, count: 5 },
          ],
        },
        event: {
          eventType: 'user.session.start',
          actorId: user.id,
          outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
          ...where,
        },
        expect: [
          { label: 'must', type: 'user.clear_sessions' },
          { label: 'must-not', type: 'user.reset_factors' },
          { label: 'must-not', type: 'user.deactivate' },
        ],
      };
    }
  }
}

function checkedId(id: string, intent: string): string {
  if (!ID.test(id)) throw new NewCaseError(`the id "${id}" must be lower-case words joined by dashes`);
  if (!id.startsWith(`${intent}-`)) throw new NewCaseError(`the id "${id}" should start with "${intent}-"`);
  return id;
}

// ---------------------------------------------------------------------------------------------------------------------
// From an audit trail.

export interface FromAuditResult {
  readonly scenario: ScenarioInput;
  /** What the audit trail cannot say: a human must fill these in before the case means anything. */
  readonly todo: readonly string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const isRecord = (v: unknown): v is AuditRecord =>
  obj(v) !== undefined && typeof (v as Json).kind === 'string' && typeof (v as Json).correlationId === 'string';

type Verdict = 'approved' | 'rejected' | 'expired' | 'cancelled';
const VERDICT_KINDS: Readonly<Record<string, Verdict>> = {
  'approval.approved': 'approved',
  'approval.executed': 'approved',
  'approval.rejected': 'rejected',
  'approval.expired': 'expired',
  'approval.cancelled': 'cancelled',
};

/**
 * A case from the audit records of one event: the event (`event.received`), the intent and the user's status and
 * profile snapshot (`recommendation.made`), and one label per action a human decided: approved → `must`, rejected →
 * `must-not` (with the approver's reason as the note). Actions nobody decided (automatic, expired, dropped) are not
 * labelled: they are listed as TODO. Ids the default seed does not know get placeholder users, groups and apps, so the
 * case loads; their real state (memberships, peers) is for the team to describe.
 */
export function caseFromAudit(
  records: readonly unknown[],
  id: string,
  seed: Seed = loadSeed(DEFAULT_SEED_PATH),
): FromAuditResult {
  const all = records.filter(isRecord);
  if (all.length === 0)
    throw new NewCaseError('no audit records: give the output of `npx hookpilot audit --event <uuid> --json`');
  const received = all.find((r) => r.kind === 'event.received');
  const made = all.find((r) => r.kind === 'recommendation.made');
  if (!received) throw new NewCaseError('the records hold no event.received record (the event itself)');
  if (!made) throw new NewCaseError('the records hold no recommendation.made record (was the event skipped?)');
  const correlations = new Set(all.map((r) => r.correlationId));
  if (correlations.size > 1)
    throw new NewCaseError("the records belong to more than one event: give one event's trail");
  const intent = str(made.detail?.intent) as Intent | undefined;
  if (!intent || !(INTENTS as readonly string[]).includes(intent))
    throw new NewCaseError('the recommendation names no intent');
  const subject = made.subjectUserId ?? received.subjectUserId;
  if (!subject) throw new NewCaseError('the records name no Okta user');

  // The humans' verdicts, by action id, and the action each is about.
  const actions = new Map<string, { type: string; params: Json }>();
  const verdicts = new Map<string, { verdict: Verdict; reason?: string }>();
  for (const r of all) {
    const d = r.detail ?? {};
    const actionId = str(d.actionId);
    const action = obj(d.action);
    if (actionId && action && typeof action.type === 'string')
      actions.set(actionId, { type: action.type, params: obj(action.params) ?? {} });
    const verdict = VERDICT_KINDS[r.kind];
    if (!actionId || !verdict) continue;
    const rejection = obj(d.rejectedBy);
    const reason = str(rejection?.reason);
    // A later step never turns a human's approval or rejection into an expiry.
    const earlier = verdicts.get(actionId);
    if (earlier && (earlier.verdict === 'approved' || earlier.verdict === 'rejected')) continue;
    verdicts.set(actionId, { verdict, ...(reason ? { reason } : {}) });
  }
  const decided = [...verdicts.entries()].filter(([, v]) => v.verdict === 'approved' || v.verdict === 'rejected');
  if (decided.length === 0) {
    throw new NewCaseError('no action of this event was approved or rejected by a human: there is nothing to label');
  }

  const known = {
    users: new Set(seed.users.map((u) => u.id)),
    groups: new Set(seed.groups.map((g) => g.id)),
    apps: new Set(seed.apps.map((a) => a.id)),
  };
  // Labels name what the seed knows by name (easier to read); ids the seed does not know stay ids.
  const nameOf = {
    groups: new Map(seed.groups.map((g) => [g.id, g.profile.name])),
    apps: new Map(seed.apps.map((a) => [a.id, a.label])),
  };
  const todo: string[] = [];
  const users: Json[] = [];
  const groups = new Map<string, Json>();
  const apps = new Map<string, Json>();
  const status = str(made.detail?.userStatus) ?? 'ACTIVE';
  const profile = obj(made.detail?.profile) ?? {};
  const seedSubject = seed.users.find((u) => u.id === subject);
  if (seedSubject) {
    // The default seed knows the user (a trail from the local stack): the case sees them as the event left them.
    users.push({
      ...structuredClone(seedSubject),
      status,
      profile: { ...seedSubject.profile, ...withoutNulls(profile) },
    });
  } else {
    const login = `${subject.toLowerCase()}@example.invalid`;
    users.push({
      id: subject,
      status,
      profile: { login, email: login, firstName: 'TODO', lastName: 'TODO', ...withoutNulls(profile) },
    });
    todo.push(
      `org.users: ${subject} is a placeholder with the recorded status and mover attributes; give it the profile, groups and apps the user had (the audit trail does not record them)`,
    );
  }
  const placeholderGroup = (groupId: string, member: boolean) => {
    if (known.groups.has(groupId) || groups.has(groupId)) return;
    groups.set(groupId, {
      id: groupId,
      type: 'OKTA_GROUP',
      profile: { name: `TODO group ${groupId}` },
      members: member ? [subject] : [],
    });
  };
  const placeholderApp = (appId: string) => {
    if (known.apps.has(appId) || apps.has(appId)) return;
    apps.set(appId, { id: appId, name: 'todo_app', label: `TODO app ${appId}`, signOnMode: 'SAML_2_0' });
  };

  // The event: its type, outcome, actor and targets as received.
  const detail = received.detail ?? {};
  const targets = (Array.isArray(detail.targets) ? detail.targets : []).map(obj).filter((t): t is Json => !!t);
  const targetIds: string[] = [];
  for (const t of targets) {
    const tid = str(t.id);
    if (!tid) continue;
    if (t.type === 'User' && tid === subject) targetIds.push(tid);
    else if (t.type === 'User' && known.users.has(tid)) targetIds.push(tid);
    else if (t.type === 'UserGroup') {
      placeholderGroup(tid, intent === 'membership');
      targetIds.push(tid);
    } else if (t.type === 'AppInstance') {
      placeholderApp(tid);
      targetIds.push(tid);
    }
  }
  const actor = obj(detail.actor);
  const actorId = str(actor?.id);
  const outcome = str(detail.outcome);
  const event: ScenarioInput['event'] = {
    eventType: received.eventType ?? str(detail.eventType) ?? 'TODO.event.type',
    ...(actorId && actor?.type === 'User' && (actorId === subject || known.users.has(actorId)) ? { actorId } : {}),
    targetIds,
    ...(outcome ? { outcome: { result: outcome as 'SUCCESS' } } : {}),
  };

  const expect: Expect[] = [];
  const described: string[] = [];
  for (const [actionId, v] of decided) {
    const action = actions.get(actionId);
    if (!action) {
      todo.push(`expect: the action of ${actionId} is not in the records`);
      continue;
    }
    const params: Record<string, string | number | boolean> = {};
    for (const [k, value] of Object.entries(action.params)) {
      if (k === 'userId') continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') params[k] = value;
    }
    if (typeof params.groupId === 'string') {
      placeholderGroup(params.groupId, action.type === 'group.remove_member');
      params.groupId = nameOf.groups.get(params.groupId) ?? params.groupId;
    }
    if (typeof params.appId === 'string') {
      placeholderApp(params.appId);
      params.appId = nameOf.apps.get(params.appId) ?? params.appId;
    }
    expect.push({
      label: v.verdict === 'approved' ? 'must' : 'must-not',
      type: action.type as Expect['type'],
      ...(Object.keys(params).length > 0 ? { params } : {}),
      note:
        v.verdict === 'approved'
          ? `approved (${actionId})`
          : `rejected (${actionId})${v.reason ? `: ${v.reason}` : ''}`,
    });
    described.push(`${v.verdict} ${action.type}${v.reason ? ` ("${v.reason}")` : ''}`);
  }
  const undecided = [...actions.entries()].filter(([a]) => !decided.some(([d]) => d === a));
  if (undecided.length > 0) {
    todo.push(
      `expect: ${undecided.length} proposed action(s) no human decided (automatic, expired or dropped) are not labelled: ${undecided
        .map(([, a]) => a.type)
        .join(', ')}`,
    );
  }
  if (groups.size > 0 || apps.size > 0) {
    todo.push('org.groups / org.apps: placeholders for ids the default seed does not know; give them their real names');
  }
  if (intent === 'mover')
    todo.push(
      'before.previousProfile: the profile before the move (hookpilot audit --user <id> --json shows the earlier snapshot)',
    );
  if (intent === 'security')
    todo.push(
      'before.signIns: the sign-ins around the event (from the Okta System Log); the audit trail does not record them',
    );
  todo.push(
    "title, why, tags: say what happened and why each label is right (the approvers' reasons are in the notes)",
  );

  const org: Json = {};
  if (users.length > 0) org.users = users;
  if (groups.size > 0) org.groups = [...groups.values()];
  if (apps.size > 0) org.apps = [...apps.values()];
  const scenario = {
    id: checkedId(id, intent),
    intent,
    title: `TODO: ${event.eventType} (event ${received.correlationId})`,
    why: `From the audit trail of event ${received.correlationId}: the approvers ${described.join('; ')}. ${TODO_WHY}`,
    tags: [intent, 'from-audit'],
    ...(Object.keys(org).length > 0 ? { org: org as ScenarioInput['org'] } : {}),
    event,
    expect,
  } satisfies ScenarioInput;
  return { scenario, todo };
}

function withoutNulls(profile: Json): Json {
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== null && v !== undefined));
}

// ---------------------------------------------------------------------------------------------------------------------

/** Writes the case below `dir` (refusing to overwrite unless `force`) and returns the file and the loader's problems. */
export function writeCase(
  scenario: ScenarioInput,
  options: { dir?: string; force?: boolean } = {},
): { file: string; problems: readonly string[] } {
  const file = join(options.dir ?? SCENARIOS_DIR, scenario.intent, `${scenario.id}.json`);
  if (existsSync(file) && !options.force) throw new NewCaseError(`${file} exists (give --force to replace it)`);
  const parsed = parseScenario(scenario, file);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(scenario, null, 2)}\n`);
  return { file, problems: parsed.ok ? [] : parsed.problems };
}

const USAGE = `usage:
  npx tsx eval/tools/new-case.ts <intent> <id> [--force]
  npx tsx eval/tools/new-case.ts --from-audit <records.json> <id> [--force]
intents: ${INTENTS.join(', ')}; <records.json>: the output of \`npx hookpilot audit --event <uuid> --json\``;

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'from-audit': { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let scenario: ScenarioInput;
  let todo: readonly string[] = [];
  if (values['from-audit'] !== undefined) {
    const [id] = positionals;
    if (!id || positionals.length !== 1) throw new NewCaseError(USAGE);
    let records: unknown;
    try {
      records = JSON.parse(readFileSync(values['from-audit'], 'utf8'));
    } catch (error) {
      throw new NewCaseError(`cannot read ${values['from-audit']} as JSON: ${(error as Error).message.split('\n')[0]}`);
    }
    if (!Array.isArray(records)) throw new NewCaseError(`${values['from-audit']} is not a JSON array of audit records`);
    ({ scenario, todo } = caseFromAudit(records, id));
  } else {
    const [intent, id] = positionals;
    if (!intent || !id || positionals.length !== 2) throw new NewCaseError(USAGE);
    if (!(INTENTS as readonly string[]).includes(intent))
      throw new NewCaseError(`unknown intent "${intent}"\n${USAGE}`);
    scenario = templateCase(intent as Intent, id);
    todo = ["title, why, tags, the user's profile and the labels: this is a template, make it your situation"];
  }
  const { file, problems } = writeCase(scenario, { force: values.force === true });
  console.log(`wrote ${relative(process.cwd(), file)}`);
  for (const t of todo) console.log(`  TODO ${t}`);
  for (const p of problems) console.log(`  does not load yet: ${p}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof NewCaseError || error instanceof TypeError ? error.message : String(error));
    process.exitCode = 2;
  }
}
