import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generatedGroupId,
  loadScenarios,
  parseScenario,
  SCENARIOS_DIR,
  ScenarioError,
  seedFor,
} from '../../eval/scenario.ts';
import { INTENTS } from '../../lambda/domain/intent.ts';

/** The labelled scenario set and its loader: every case in the repository loads, and a broken one is named precisely. */

const example = () =>
  JSON.parse(readFileSync(join(SCENARIOS_DIR, 'joiner', 'joiner-sales-account-executive-london.json'), 'utf8'));

const problemsOf = (json: unknown, file = 'eval/scenarios/joiner/joiner-sales-account-executive-london.json') => {
  const result = parseScenario(json, file);
  return result.ok ? [] : result.problems;
};

describe('the scenario set', () => {
  it('loads every case in eval/scenarios (a broken case fails here, with its file name)', () => {
    const cases = loadScenarios();
    expect(cases.length).toBeGreaterThanOrEqual(3);
    for (const c of cases) {
      expect(c.file).toMatch(new RegExp(`${c.scenario.intent}/${c.scenario.id}\\.json$`));
      expect(c.scenario.expect.length).toBeGreaterThan(0);
    }
    expect(new Set(cases.map((c) => c.scenario.id)).size).toBe(cases.length);
    // every intent folder that exists holds cases of its intent only (checked by the loader); the set spans intents
    expect(new Set(cases.map((c) => c.scenario.intent)).size).toBeGreaterThanOrEqual(3);
    for (const c of cases) expect(INTENTS).toContain(c.scenario.intent);
  });
});

describe('parseScenario', () => {
  it('accepts the example and merges its user into the default seed', () => {
    const result = parseScenario(example(), 'eval/scenarios/joiner/joiner-sales-account-executive-london.json');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const user = result.value.seed.users.find((u) => u.id === '00uEvalJoinSales0001');
    expect(user?.profile.department).toBe('Sales');
    // the default seed is still there
    expect(result.value.seed.users.some((u) => u.profile.login === 'chloe.laurent@acme-demo.example')).toBe(true);
  });

  it('names the file and the field of each problem', () => {
    const bad = example();
    bad.expect[0].label = 'should';
    bad.expect[1].type = 'group.add';
    bad.event.eventType = 'not an event';
    const problems = problemsOf(bad);
    const file = 'eval/scenarios/joiner/joiner-sales-account-executive-london.json';
    expect(problems).toEqual(
      expect.arrayContaining([
        `${file}: expect[0].label: must be "must", "acceptable" or "must-not"`,
        expect.stringMatching(/^eval\/scenarios\/joiner\/.*: expect\[1\]\.type: must be an action type of the catalog/),
        expect.stringMatching(/: event\.eventType: must be an Okta event type/),
      ]),
    );
  });

  it('rejects an id that is not the file name and an intent that is not the folder', () => {
    const problems = problemsOf(example(), 'eval/scenarios/mover/something-else.json');
    expect(problems).toEqual([
      'eval/scenarios/mover/something-else.json: id: "joiner-sales-account-executive-london" is not the file name (expected "something-else")',
      'eval/scenarios/mover/something-else.json: intent: "joiner" but the file is in the mover/ folder',
    ]);
  });

  it('rejects references to users, groups and apps the org does not have', () => {
    const bad = example();
    bad.event.targetIds = ['00uNoSuchUser0000000'];
    bad.expect[0].params.groupId = 'dept-no-such';
    bad.expect[2].params.appId = 'NoSuchApp';
    bad.org.memberships = [{ groupId: 'dept-sales', userId: 'nobody@acme-demo.example' }];
    const problems = problemsOf(bad).map((p) => p.replace(/^[^:]+: /, ''));
    expect(problems).toEqual(
      expect.arrayContaining([
        'event.targetIds[0]: no user or group or app 00uNoSuchUser0000000 in the org',
        'expect[0].params.groupId: no group dept-no-such in the org',
        'expect[2].params.appId: no app NoSuchApp in the org',
        'org.memberships[0].userId: no user nobody@acme-demo.example in the org',
      ]),
    );
  });

  it('reports an org delta that breaks the seed (a seed user with a bad id) by its field', () => {
    const bad = example();
    bad.org.users[0].id = 'not-an-id';
    expect(problemsOf(bad)).toEqual([expect.stringMatching(/: org\.users\[0\]\.id: must be an Okta user id/)]);
  });

  it('requires at least one label and the reasoning', () => {
    const bad = example();
    bad.expect = [];
    bad.why = '';
    const problems = problemsOf(bad).map((p) => p.replace(/^[^:]+: /, ''));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^expect: must label at least one action/),
        expect.stringMatching(/^why: must say why/),
      ]),
    );
  });
});

describe('seedFor', () => {
  it('adds memberships and generated groups, replacing a group given with the same id', () => {
    const json = example();
    json.org.memberships = [{ groupId: 'finance-approvers', userId: '00uEvalJoinSales0001' }];
    json.org.generatedGroups = [{ namePrefix: 'project', count: 120, members: ['maria.santos@acme-demo.example'] }];
    json.expect.push({ label: 'must-not', type: 'group.remove_member', params: { groupId: 'project-007' } });
    const result = parseScenario(json, 'eval/scenarios/joiner/joiner-sales-account-executive-london.json');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const groups = result.value.seed.groups.filter((g) => g.members.includes('00uEvalJoinSales0001'));
    expect(groups.map((g) => g.profile.name)).toContain('finance-approvers');
    expect(groups.filter((g) => g.profile.name.startsWith('project-'))).toHaveLength(120);
    expect(result.value.seed.groups.find((g) => g.profile.name === 'project-007')?.id).toBe(
      generatedGroupId('project-007'),
    );
    expect(generatedGroupId('project-007')).toMatch(/^00g[A-Za-z0-9]{17}$/);
  });

  it('leaves the default seed untouched', () => {
    const result = parseScenario(example(), 'x/joiner/joiner-sales-account-executive-london.json');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const again = seedFor(result.value.scenario);
    expect(again.problems).toEqual([]);
    const other = parseScenario(
      {
        ...example(),
        org: {},
        event: { eventType: 'user.lifecycle.activate', targetIds: [] },
        expect: example().expect,
      },
      'x/joiner/joiner-sales-account-executive-london.json',
    );
    // without the delta the example's new user does not exist: its expect reference is reported
    expect(other.ok).toBe(false);
  });
});

describe('loadScenarios', () => {
  it('lists every problem of every file in one error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookpilot-scenarios-'));
    mkdirSync(join(dir, 'joiner'));
    writeFileSync(join(dir, 'joiner', 'broken.json'), '{ "id": ');
    writeFileSync(join(dir, 'loose.json'), '{}');
    const good = example();
    writeFileSync(join(dir, 'joiner', `${good.id}.json`), JSON.stringify(good));
    let error: unknown;
    try {
      loadScenarios(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const problems = (error as ScenarioError).problems;
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/broken\.json: not valid JSON/),
        expect.stringMatching(/loose\.json: a case belongs in a folder named after its intent/),
      ]),
    );
  });
});
