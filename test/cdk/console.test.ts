import type { CfnElement } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HookpilotStack } from '../../lib/hookpilot-stack.ts';
import { CONSOLE_ROUTES } from '../../lib/manifest.ts';
import { cleanUp, synthStack } from './synth.ts';

/** The approvals console in the stack: its routes, its function's settings and permissions, its sessions table. */
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

let stack: HookpilotStack;
let resources: Record<string, CfnResource>;

beforeAll(() => {
  const synth = synthStack({ consoleClientId: '0oaConsoleApp000001' });
  stack = synth.stack;
  resources = synth.template.toJSON().Resources as Record<string, CfnResource>;
});
afterAll(cleanUp);

const resourceOf = (construct: IConstruct): CfnResource => {
  const resource = resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)];
  if (!resource) throw new Error(`no resource for ${construct.node.path}`);
  return resource;
};
const routes = () =>
  Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
    .map((r) => r.Properties as { RouteKey: string; AuthorizationType?: string; Target?: unknown });

describe('the approvals console', () => {
  it('has every console route, each without the JWT authorizer (it signs people in itself), all on the console function', () => {
    const consoleFn = JSON.stringify(stack.resolve(stack.functions.console.functionArn));
    for (const [method, path] of CONSOLE_ROUTES) {
      const route = routes().find((r) => r.RouteKey === `${method} ${path}`);
      expect(route, `${method} ${path}`).toBeDefined();
      expect(route?.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    const approvalsRoute = routes().find((r) => r.RouteKey === 'GET /approvals');
    expect(approvalsRoute?.AuthorizationType).toBe('JWT');
    const integrations = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Integration');
    const consoleIntegrations = integrations.filter((i) =>
      JSON.stringify(i.Properties?.IntegrationUri).includes(JSON.parse(consoleFn)['Fn::GetAtt']?.[0] ?? '__none__'),
    );
    expect(consoleIntegrations).toHaveLength(1);
  });

  it('is told the approvers’ issuer and audience, its OIDC client id and its sessions table', () => {
    const env = (
      resourceOf(stack.functions.console).Properties?.Environment as { Variables: Record<string, unknown> } | undefined
    )?.Variables;
    expect(env).toMatchObject({
      HOOKPILOT_APPROVALS_ISSUER: 'https://acme-demo.okta.com/oauth2/default',
      HOOKPILOT_APPROVALS_AUDIENCE: 'api://default',
      HOOKPILOT_CONSOLE_CLIENT_ID: '0oaConsoleApp000001',
      HOOKPILOT_CONSOLE_SESSIONS_TABLE: stack.resolve(stack.tables.consoleSessionsTable.tableName),
    });
    expect(env).not.toHaveProperty('HOOKPILOT_CONSOLE_URL');
  });

  it('keeps sessions in an encrypted table whose items expire (TTL)', () => {
    const table = resourceOf(stack.tables.consoleSessionsTable);
    expect(table.Properties?.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAtEpoch', Enabled: true });
    expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('only the console may use the sessions table', () => {
    const arn = JSON.stringify(stack.resolve(stack.tables.consoleSessionsTable.tableArn));
    const policies = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.PolicyDocument).includes(arn),
    );
    const roles = policies.flatMap(([, r]) => JSON.stringify(r.Properties?.Roles));
    expect(roles).toHaveLength(1);
    expect(roles[0]).toContain(stack.getLogicalId(stack.functions.console.role?.node.defaultChild as CfnElement));
  });

  it('warns at synth when no console client id is given', () => {
    const { stack: bare } = synthStack();
    Annotations.fromStack(bare).hasWarning('*', Match.stringLikeRegexp('consoleClientId is not set'));
  });

  it('refuses a console URL that is not an https origin', () => {
    expect(() => synthStack({ consoleUrl: 'http://approvals.acme.example' })).toThrow(
      /consoleUrl must be an https origin/,
    );
  });
});
