import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../eval/scenario.ts';
import { caseFromAudit, NewCaseError, templateCase, writeCase } from '../../eval/tools/new-case.ts';
import { INTENTS } from '../../lambda/domain/intent.ts';

/**
 * The case scaffold (eval/tools/new-case.ts). The audit trails are real: `npx hookpilot audit --event <uuid> --json` on
 * the local stack after its demo, with two approvals and a rejection per event made through the approvals CLI.
 */

const trail = (name: string): unknown[] =>
  JSON.parse(
    readFileSync(
      join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'eval', `audit-trail-${name}.json`),
      'utf8',
    ),
  );

const loads = (scenario: unknown, intent: string, id: string) =>
  parseScenario(scenario, `eval/scenarios/${intent}/${id}.json`);

describe('templateCase', () => {
  it.each(INTENTS)('a %s template loads, with a fresh user id each time', (intent) => {
    const id = `${intent}-template-check`;
    const one = templateCase(intent, id);
    const result = loads(one, intent, id);
    expect(result.ok ? [] : result.problems).toEqual([]);
    const userOf = (c: ReturnType<typeof templateCase>) => (c.org?.users?.[0] as { id: string } | undefined)?.id;
    expect(userOf(one)).toMatch(/^00u[A-Za-z0-9]{17}$/);
    expect(userOf(templateCase(intent, id))).not.toBe(userOf(one));
    expect(one.expect.length).toBeGreaterThan(0);
  });

  it('refuses an id that is not lower-case-dashed or does not start with the intent', () => {
    expect(() => templateCase('joiner', 'Joiner_Case')).toThrow(NewCaseError);
    expect(() => templateCase('joiner', 'mover-case')).toThrow(/should start with "joiner-"/);
  });
});

describe('caseFromAudit', () => {
  it('turns a joiner trail into a case: approved → must, rejected → must-not with the reason', () => {
    const { scenario, todo } = caseFromAudit(trail('joiner'), 'joiner-from-audit');
    expect(scenario.intent).toBe('joiner');
    expect(scenario.event).toMatchObject({
      eventType: 'user.lifecycle.create',
      actorId: '00uBTZRp5XyGWe0MSOCU',
      targetIds: ['00uxCt5mfEmp9CywZ606'],
    });
    expect(scenario.expect).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ label: 'must', type: 'group.add_member', params: { groupId: 'dept-sales' } }),
        expect.objectContaining({ label: 'must', type: 'group.add_member', params: { groupId: 'loc-london' } }),
        expect.objectContaining({
          label: 'must-not',
          type: 'app.assign',
          params: { appId: 'Salesforce' },
          note: expect.stringContaining('Salesforce comes with dept-sales'),
        }),
      ]),
    );
    expect(scenario.expect).toHaveLength(3);
    // The demo's joiner is not in the default seed: a placeholder with the recorded status and attributes.
    const user = scenario.org?.users?.[0] as { id: string; status: string; profile: Record<string, unknown> };
    expect(user).toMatchObject({ id: '00uxCt5mfEmp9CywZ606', status: 'ACTIVE' });
    expect(user.profile).toMatchObject({ department: 'Sales', city: 'London', title: 'Account Executive' });
    expect(todo.join('\n')).toMatch(/placeholder/);
    const result = loads(scenario, 'joiner', 'joiner-from-audit');
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('a seed user in a mover trail is given the profile the event left; the previous profile is a TODO', () => {
    const { scenario, todo } = caseFromAudit(trail('mover'), 'mover-from-audit');
    expect(scenario.intent).toBe('mover');
    const user = scenario.org?.users?.[0] as { id: string; profile: Record<string, unknown> };
    expect(user.id).toBe('00uvaDoSrWmSBkeK7exj');
    expect(user.profile).toMatchObject({ login: 'priya.nair@acme-demo.example', department: 'Product' });
    expect(scenario.expect).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ label: 'must', type: 'group.add_member', params: { groupId: 'dept-product' } }),
        expect.objectContaining({
          label: 'must',
          type: 'group.remove_member',
          params: { groupId: 'dept-engineering' },
        }),
        expect.objectContaining({
          label: 'must-not',
          type: 'group.remove_member',
          params: { groupId: 'aws-prod-readonly' },
          note: expect.stringContaining('prod incidents'),
        }),
      ]),
    );
    expect(todo.join('\n')).toMatch(/before\.previousProfile/);
    const result = loads(scenario, 'mover', 'mover-from-audit');
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('refuses records without a human decision, of several events, or of no event at all', () => {
    const undecided = trail('joiner').filter(
      (r) => !/^approval\.(approved|rejected|executed|approve|reject)$/.test((r as { kind: string }).kind),
    );
    expect(() => caseFromAudit(undecided, 'joiner-x')).toThrow(/nothing to label/);
    expect(() => caseFromAudit([...trail('joiner'), ...trail('mover')], 'joiner-x')).toThrow(/more than one event/);
    expect(() => caseFromAudit([], 'joiner-x')).toThrow(NewCaseError);
    expect(() => caseFromAudit([{ not: 'a record' }], 'joiner-x')).toThrow(/no audit records/);
    expect(() => caseFromAudit(trail('joiner'), 'mover-x')).toThrow(/should start with "joiner-"/);
  });
});

describe('writeCase', () => {
  it('writes <intent>/<id>.json and never overwrites without force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookpilot-new-case-'));
    const scenario = templateCase('security', 'security-write-check');
    const { file, problems } = writeCase(scenario, { dir });
    expect(file).toBe(join(dir, 'security', 'security-write-check.json'));
    expect(problems).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(scenario)));
    expect(() => writeCase(scenario, { dir })).toThrow(/exists/);
    expect(() => writeCase(scenario, { dir, force: true })).not.toThrow();
  });
});
