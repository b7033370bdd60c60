import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HookpilotStack } from '../../lib/hookpilot-stack.ts';
import { FUNCTIONS, ROUTES } from '../../lib/manifest.ts';
import { cleanUp, synthStack } from './synth.ts';

/** The time-bound grants parts of the stack: the grants table, who may write it, and the grants routes. */
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

let stack: HookpilotStack;
let resources: Record<string, CfnResource>;

beforeAll(() => {
  const synth = synthStack();
  stack = synth.stack;
  resources = synth.template.toJSON().Resources as Record<string, CfnResource>;
});
afterAll(cleanUp);

const resourceOf = (construct: IConstruct): CfnResource => {
  const resource = resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)];
  if (!resource) throw new Error(`no resource for ${construct.node.path}`);
  return resource;
};

describe('the grants table', () => {
  it('is encrypted, has point-in-time recovery, is retained and protected from deletion, with its sweeper index', () => {
    const table = resourceOf(stack.tables.grantsTable);
    expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    const indexes = ((table.Properties?.GlobalSecondaryIndexes ?? []) as { IndexName: string }[]).map(
      (i) => i.IndexName,
    );
    expect(indexes.sort()).toEqual(['byDue', 'bySubject', 'byTime']);
  });

  it('only the executor, the sweeper and the approvals API change it; the token and SAML hooks read it', () => {
    const users = Object.entries(FUNCTIONS)
      .filter(([, spec]) => 'grantsTable' in spec.uses)
      .map(([id, spec]) => `${id}:${(spec.uses as { grantsTable?: string }).grantsTable}`);
    expect(users.sort()).toEqual([
      'approvalsApi:update',
      'executor:update',
      'inlineSaml:read',
      'inlineToken:read',
      'sweeper:update',
    ]);
    expect(FUNCTIONS.sweeper.uses).toMatchObject({ grantsTable: 'update', actionsQueue: 'send' });
    const arn = JSON.stringify(stack.resolve(stack.tables.grantsTable.tableArn)).slice(1, -1);
    type Statement = { Action: string | string[]; Resource: unknown };
    const actions = new Set(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap((p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [])
        .filter((s) => JSON.stringify(s.Resource).includes(arn))
        .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
    );
    expect(actions.has('dynamodb:PutItem')).toBe(true);
    expect([...actions].some((a) => a.startsWith('dynamodb:Delete'))).toBe(false);
  });

  it('the token and SAML hooks may only get and query it, on its named indexes (no scan, no write, no index/*)', () => {
    const arn = JSON.stringify(stack.resolve(stack.tables.grantsTable.tableArn)).slice(1, -1);
    type Statement = { Action: string | string[]; Resource: unknown };
    for (const fn of ['InlineToken', 'InlineSaml']) {
      const statements = Object.entries(resources)
        .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.includes(`${fn}Role`))
        .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [])
        .filter((s) => JSON.stringify(s.Resource).includes(arn));
      const actions = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
      expect([...actions].sort(), fn).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
      const resourcesText = JSON.stringify(statements.map((s) => s.Resource));
      expect(resourcesText, fn).toContain('/index/bySubject');
      expect(resourcesText, fn).not.toContain('/index/*');
    }
  });

  it('the grants routes need an approver token, like the approvals routes', () => {
    const grants = ROUTES.filter((r) => r.path.startsWith('/grants'));
    expect(grants.map((r) => `${r.method} ${r.path} ${r.auth}`)).toEqual([
      'GET /grants approver',
      'POST /grants/{id}/end approver',
    ]);
  });
});
