import { isDeepStrictEqual } from 'node:util';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/config.ts';
import { NOTIFY_ENV } from '../../lambda/notify/config.ts';
import { APPROVER_TOKEN_ENV } from '../../lambda/okta/access-token-config.ts';
import { HookpilotStack } from '../../lib/hookpilot-stack.ts';
import {
  consumerOf,
  FUNCTIONS,
  type FunctionId,
  OKTA_ORG_URL_ENV,
  QUEUES,
  type QueueId,
  RESOURCE_ENV,
  ROUTES,
  TABLES,
  type TableId,
  type Uses,
  usedResources,
  visibilityTimeoutSeconds,
} from '../../lib/manifest.ts';
import { cleanUp, synthStack, TEST_OKTA_ORG_URL, testApp } from './synth.ts';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const entries = <K extends string, V>(record: Readonly<Record<K, V>>) => Object.entries(record) as [K, V][];

/** Actions that change or remove an existing item: none of them may ever apply to the audit table. */
const AUDIT_FORBIDDEN_ACTIONS = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTable',
  'dynamodb:RestoreTableToPointInTime',
];

/** A view of a synthesized stack that finds resources through the constructs (never by hard-coded logical ids). */
class View {
  readonly resources: Record<string, CfnResource>;
  constructor(
    readonly stack: Stack,
    readonly template: Template,
  ) {
    this.resources = template.toJSON().Resources as Record<string, CfnResource>;
  }

  resolve(value: unknown): unknown {
    return this.stack.resolve(value);
  }

  /** The CloudFormation resource behind an L2 construct. */
  resourceOf(construct: IConstruct): CfnResource {
    const id = this.stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const resource = this.resources[id];
    if (!resource) throw new Error(`no resource for ${construct.node.path}`);
    return resource;
  }

  /** A function's environment variables. */
  environmentOf(fn: IFunction): Record<string, unknown> {
    const environment = this.resourceOf(fn).Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined;
    return environment?.Variables ?? {};
  }

  ofType(type: string): CfnResource[] {
    return Object.values(this.resources).filter((r) => r.Type === type);
  }

  /** Every identity-policy statement in the template. */
  statements(): Statement[] {
    return this.ofType('AWS::IAM::Policy').flatMap(statementsOf);
  }

  /** `action resource` pairs a function's role is allowed, sorted. */
  grantsOf(fn: IFunction): string[] {
    if (!fn.role) throw new Error(`${fn.node.path} has no role`);
    const roleRef = this.resolve(fn.role.roleName);
    const pairs: string[] = [];
    for (const policy of this.ofType('AWS::IAM::Policy')) {
      if (!list(policy.Properties?.Roles as unknown[]).some((r) => isDeepStrictEqual(r, roleRef))) continue;
      for (const statement of statementsOf(policy)) {
        expect(statement.Effect).toBe('Allow');
        expect(statement.Condition).toBeUndefined();
        for (const action of list(statement.Action)) {
          for (const resource of list(statement.Resource)) pairs.push(grant(action, resource));
        }
      }
    }
    return pairs.sort();
  }
}

const statementsOf = (policy: CfnResource): Statement[] =>
  (policy.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [];

const grant = (action: string, resource: unknown) => `${action} ${JSON.stringify(resource)}`;

let view: View;
let stack: HookpilotStack;

beforeAll(() => {
  const synthesized = synthStack();
  stack = synthesized.stack;
  view = new View(stack, synthesized.template);
});
afterAll(cleanUp);

describe('IAM', () => {
  it('gives the event hook receiver exactly: append on the audit and idempotency tables, send on the events queue, read on the secret, its own logs', () => {
    const fn = stack.functions.eventHook;
    const audit = view.resolve(stack.tables.auditTable.tableArn);
    const claims = view.resolve(stack.tables.idempotencyTable.tableArn);
    const indexes = Object.keys(TABLES.auditTable.indexes).map((name) =>
      view.resolve(`${stack.tables.auditTable.tableArn}/index/${name}`),
    );
    const queue = view.resolve(stack.queues.eventsQueue.queueArn);
    const secret = view.resolve(stack.secrets.eventHookSecret.secretArn);
    const logs = view.resolve(stack.logGroups.eventHook.logGroupArn);
    expect(indexes).toHaveLength(2);
    expect(view.grantsOf(fn)).toEqual(
      [
        grant('dynamodb:PutItem', audit),
        grant('dynamodb:GetItem', audit),
        grant('dynamodb:BatchGetItem', audit),
        grant('dynamodb:Query', audit),
        ...indexes.map((index) => grant('dynamodb:Query', index)),
        grant('dynamodb:PutItem', claims),
        grant('dynamodb:GetItem', claims),
        grant('dynamodb:BatchGetItem', claims),
        grant('dynamodb:Query', claims),
        grant('sqs:SendMessage', queue),
        grant('sqs:GetQueueAttributes', queue),
        grant('sqs:GetQueueUrl', queue),
        grant('secretsmanager:GetSecretValue', secret),
        grant('secretsmanager:DescribeSecret', secret),
        grant('logs:CreateLogStream', logs),
        grant('logs:PutLogEvents', logs),
      ].sort(),
    );
  });

  it.each(entries(FUNCTIONS))('gives %s what its manifest `uses` says, and nothing on anything else', (id, spec) => {
    const uses: Uses = spec.uses;
    const grants = view.grantsOf(stack.functions[id]);
    const actionsOn = (arn: string) => {
      const resolved = JSON.stringify(view.resolve(arn));
      return grants.filter((g) => g.slice(g.indexOf(' ') + 1) === resolved).map((g) => g.slice(0, g.indexOf(' ')));
    };
    for (const [tableId, table] of entries(stack.tables)) {
      const onTable = actionsOn(table.tableArn);
      const onIndexes = Object.keys(TABLES[tableId].indexes).flatMap((n) => actionsOn(`${table.tableArn}/index/${n}`));
      switch (uses[tableId]) {
        case 'append':
          expect(onTable.sort()).toEqual([
            'dynamodb:BatchGetItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
          ]);
          expect(new Set(onIndexes)).toEqual(
            new Set(Object.keys(TABLES[tableId].indexes).length ? ['dynamodb:Query'] : []),
          );
          break;
        case 'update':
          // Transactions of conditional puts, and updates; never a delete.
          expect(onTable.sort()).toEqual([
            'dynamodb:BatchGetItem',
            'dynamodb:ConditionCheckItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ]);
          expect(new Set(onIndexes)).toEqual(
            new Set(Object.keys(TABLES[tableId].indexes).length ? ['dynamodb:Query'] : []),
          );
          break;
        case 'read':
          expect(onTable).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
          expect(onTable).not.toContain('dynamodb:PutItem');
          break;
        case 'readWrite':
          expect(onTable).toEqual(
            expect.arrayContaining([
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
            ]),
          );
          break;
        case undefined:
          expect(onTable).toEqual([]);
          expect(onIndexes).toEqual([]);
      }
    }
    for (const [queueId, queue] of entries(stack.queues)) {
      const onQueue = actionsOn(queue.queueArn);
      // Notifications are off by default: the publishers get no access to the notifications queue (tested below).
      if (uses[queueId] === 'send' && queueId !== 'notificationsQueue') expect(onQueue).toContain('sqs:SendMessage');
      else expect(onQueue).not.toContain('sqs:SendMessage');
      if (consumerOf(queueId) === id) expect(onQueue).toContain('sqs:DeleteMessage');
      else expect(onQueue.filter((a) => a !== 'sqs:SendMessage' && !a.startsWith('sqs:GetQueue'))).toEqual([]);
      expect(actionsOn(stack.deadLetterQueues[queueId].queueArn)).toEqual([]);
    }
    const secretsUsed = usedResources(uses).flatMap((u) => (u.kind === 'secret' ? [u.id] : []));
    for (const [secretId, secret] of entries(stack.secrets)) {
      const onSecret = actionsOn(secret.secretArn);
      if (secretsUsed.includes(secretId)) expect(onSecret).toContain('secretsmanager:GetSecretValue');
      else expect(onSecret).toEqual([]);
    }
  });

  it('attaches no managed policy to any function role (each may write only to its own log group)', () => {
    for (const fn of Object.values(stack.functions)) {
      const role = view.resourceOf(fn.role as Role);
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties?.Policies).toBeUndefined();
    }
  });

  it('uses no wildcard action and no `*` resource anywhere', () => {
    const statements = view.statements();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of list(statement.Action)) expect(action).not.toContain('*');
      for (const resource of list(statement.Resource)) expect(resource).not.toBe('*');
    }
  });

  /** Every action any identity policy allows on the audit table or its indexes. */
  const auditTableActions = (v: View, s: HookpilotStack): string[] => {
    const auditRef = JSON.stringify(v.resolve(s.tables.auditTable.tableArn));
    return v
      .statements()
      .filter((st) => st.Effect === 'Allow' && list(st.Resource).some((r) => JSON.stringify(r).includes(auditRef)))
      .flatMap((st) => list(st.Action));
  };

  it('keeps the audit table append-only: no principal may update or delete its items', () => {
    const actions = auditTableActions(view, stack);
    expect(actions).toContain('dynamodb:PutItem');
    for (const forbidden of AUDIT_FORBIDDEN_ACTIONS) expect(actions).not.toContain(forbidden);
  });

  it('(control) the append-only check catches a broad grant on the audit table', () => {
    const other = new HookpilotStack(testApp(), 'HookpilotStack');
    other.tables.auditTable.grantReadWriteData(
      new Role(other, 'Intruder', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }),
    );
    const actions = auditTableActions(new View(other, Template.fromStack(other)), other);
    expect(actions).toContain('dynamodb:UpdateItem');
    expect(actions).toContain('dynamodb:DeleteItem');
  });
});

describe('tables', () => {
  it.each(entries(TABLES))('%s follows its design: keys, GSIs with ALL projection, TTL', (id, design) => {
    const props = view.resourceOf(stack.tables[id]).Properties ?? {};
    expect(props.KeySchema).toEqual([
      { AttributeName: design.partitionKey, KeyType: 'HASH' },
      ...('sortKey' in design ? [{ AttributeName: design.sortKey, KeyType: 'RANGE' }] : []),
    ]);
    const indexes = Object.entries(design.indexes);
    expect(props.GlobalSecondaryIndexes ?? []).toEqual(
      indexes.map(([name, keys]) => ({
        IndexName: name,
        KeySchema: [
          { AttributeName: keys.partitionKey, KeyType: 'HASH' },
          { AttributeName: keys.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    if ('ttlAttribute' in design) {
      expect(props.TimeToLiveSpecification).toEqual({ AttributeName: design.ttlAttribute, Enabled: true });
    } else {
      expect(props.TimeToLiveSpecification).toBeUndefined();
    }
  });

  it.each(Object.keys(TABLES) as TableId[])(
    '%s is on demand, encrypted at rest, has PITR, is retained and has no physical name',
    (id) => {
      const table = view.resourceOf(stack.tables[id]);
      expect(table.Properties?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).not.toHaveProperty('TableName');
    },
  );

  it('protects the audit table from deletion', () => {
    expect(view.resourceOf(stack.tables.auditTable).Properties?.DeletionProtectionEnabled).toBe(true);
  });

  it('hard-codes no physical name on any resource', () => {
    const nameProperties: Record<string, string> = {
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::CloudWatch::Alarm': 'AlarmName',
    };
    for (const [type, property] of Object.entries(nameProperties)) {
      const found = view.ofType(type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const resource of found) expect(resource.Properties ?? {}, type).not.toHaveProperty(property);
    }
  });
});

describe('queues', () => {
  it.each(entries(QUEUES))('%s redrives to its DLQ after the manifest maxReceiveCount', (id, spec) => {
    const queue = view.resourceOf(stack.queues[id]).Properties ?? {};
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: view.resolve(stack.deadLetterQueues[id].queueArn),
      maxReceiveCount: spec.maxReceiveCount,
    });
    expect(queue.VisibilityTimeout).toBe(visibilityTimeoutSeconds(id));
    const consumer = consumerOf(id);
    if (consumer) expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(FUNCTIONS[consumer].timeoutSeconds * 6);
    expect(queue.MessageRetentionPeriod).toBe(spec.retentionDays * 86_400);
    expect(view.resourceOf(stack.deadLetterQueues[id]).Properties?.MessageRetentionPeriod).toBe(14 * 86_400);
  });

  it.each(Object.keys(QUEUES) as QueueId[])(
    '%s and its DLQ use SQS-managed encryption and refuse non-TLS requests',
    (id) => {
      for (const queue of [stack.queues[id], stack.deadLetterQueues[id]]) {
        expect(view.resourceOf(queue).Properties?.SqsManagedSseEnabled).toBe(true);
        view.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [view.resolve(queue.queueUrl)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Principal: { AWS: '*' },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
                Resource: view.resolve(queue.queueArn),
              }),
            ]),
          },
        });
      }
    },
  );

  const consumed = (Object.keys(QUEUES) as QueueId[]).filter((id) => consumerOf(id));
  it.each(consumed)('%s feeds its consumer with partial batch responses and the manifest batch size', (id) => {
    view.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: view.resolve(stack.queues[id].queueArn),
      FunctionName: view.resolve(stack.functions[consumerOf(id) as FunctionId].functionName),
      BatchSize: QUEUES[id].batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('the approval queue has no consumer in the stack: it is read by your own consumers', () => {
    const mappings = Object.values(view.resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    const approvalArn = JSON.stringify(view.resolve(stack.queues.approvalQueue.queueArn));
    expect(mappings).toHaveLength(consumed.length);
    expect(mappings.every((m) => JSON.stringify(m.Properties?.EventSourceArn) !== approvalArn)).toBe(true);
  });
});

describe('functions', () => {
  it.each(entries(FUNCTIONS))('%s runs nodejs22.x on arm64 with the manifest timeout and memory', (id, spec) => {
    const fn = view.resourceOf(stack.functions[id]).Properties ?? {};
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Timeout).toBe(spec.timeoutSeconds);
    expect(fn.MemorySize).toBe(spec.memoryMb);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.Description).toBe(spec.description);
  });

  it.each(entries(FUNCTIONS))('%s gets exactly the variables of the resources it uses', (id, spec) => {
    const expected: Record<string, unknown> = {
      POWERTOOLS_SERVICE_NAME: 'hookpilot',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      // The deployment's name: the approval queue's CloudEvent source.
      [ENV.instance]: view.resolve(stack.stackName),
    };
    for (const used of usedResources(spec.uses)) {
      if (used.kind === 'okta') {
        expected[OKTA_ORG_URL_ENV] = TEST_OKTA_ORG_URL;
        continue;
      }
      // No mode, model or inline OAuth given, and the inline rules are built into the bundle: nothing to set.
      if (
        used.kind === 'policy' ||
        used.kind === 'model' ||
        used.kind === 'inlineConfig' ||
        used.kind === 'inlineOAuth' ||
        // No console client id given: nothing set (the stack warns).
        used.kind === 'consoleSignIn'
      )
        continue;
      // Notifications are off by default: no channels, and the publishers do not get the notifications queue.
      if (used.kind === 'notify') continue;
      if (used.kind === 'queue' && used.id === 'notificationsQueue' && used.access === 'send') continue;
      if (used.kind === 'approverTokens') {
        // No approvalsIssuer given: the org's default authorization server and its audience.
        expected[APPROVER_TOKEN_ENV.issuer] = `${TEST_OKTA_ORG_URL}/oauth2/default`;
        expected[APPROVER_TOKEN_ENV.audience] = 'api://default';
        continue;
      }
      const value =
        used.kind === 'table'
          ? stack.tables[used.id].tableName
          : used.kind === 'queue'
            ? stack.queues[used.id].queueUrl
            : stack.secrets[used.id].secretArn;
      expected[RESOURCE_ENV[used.id]] = view.resolve(value);
    }
    // The console's URL (the HTTP API's own) for the links in messages.
    if (id === 'notifier' || id === 'slackInteractivity') expected[ENV.consoleUrl] = view.resolve(stack.hookApi.url);
    expect(view.environmentOf(stack.functions[id])).toEqual(expected);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionId[])('%s logs to its own log group with a retention', (id) => {
    const logGroup = stack.logGroups[id];
    expect(view.resourceOf(stack.functions[id]).Properties?.LoggingConfig).toEqual({
      LogGroup: view.resolve(logGroup.logGroupName),
    });
    expect(view.resourceOf(logGroup).Properties?.RetentionInDays).toBe(30);
    const others = (Object.keys(FUNCTIONS) as FunctionId[]).filter((other) => other !== id);
    for (const other of others) {
      expect(view.resolve(stack.logGroups[other].logGroupName)).not.toEqual(view.resolve(logGroup.logGroupName));
    }
  });

  it('passes a custom event hook auth header to the receiver only', () => {
    const { stack: custom, template } = synthStack({ eventHookAuthHeader: 'X-Hookpilot-Secret' });
    const v = new View(custom, template);
    const variables = (id: FunctionId) => v.environmentOf(custom.functions[id]);
    expect(variables('eventHook').HOOKPILOT_EVENT_HOOK_AUTH_HEADER).toBe('x-hookpilot-secret');
    expect(variables('eventsConsumer')).not.toHaveProperty('HOOKPILOT_EVENT_HOOK_AUTH_HEADER');
    expect(() => synthStack({ eventHookAuthHeader: 'bad header: x' })).toThrow(/not an HTTP header name/);
  });

  it('takes the log level and retention from the stack props', () => {
    const { stack: custom, template } = synthStack({ logLevel: 'DEBUG', logRetention: RetentionDays.ONE_WEEK });
    const v = new View(custom, template);
    for (const id of Object.keys(FUNCTIONS) as FunctionId[]) {
      expect(v.environmentOf(custom.functions[id]).POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
      expect(v.resourceOf(custom.logGroups[id]).Properties?.RetentionInDays).toBe(7);
    }
    expect(v.resourceOf(custom.hookApi.accessLogs).Properties?.RetentionInDays).toBe(7);
  });
});

describe('the event hook secret', () => {
  it('is generated: long, no punctuation', () => {
    const secret = view.resourceOf(stack.secrets.eventHookSecret).Properties ?? {};
    const generate = secret.GenerateSecretString as { PasswordLength: number; ExcludePunctuation: boolean };
    expect(generate.PasswordLength).toBeGreaterThanOrEqual(32);
    expect(generate.ExcludePunctuation).toBe(true);
    expect(secret).not.toHaveProperty('SecretString');
  });
});

describe('HTTP API', () => {
  const routeKeys = () => view.ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties?.RouteKey as string);

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    'routes %s to its function (Lambda proxy, payload 2.0)',
    (routeKey, route) => {
      const routes = view.ofType('AWS::ApiGatewayV2::Route').filter((r) => r.Properties?.RouteKey === routeKey);
      expect(routes).toHaveLength(1);
      const target = routes[0]?.Properties?.Target as { 'Fn::Join': [string, unknown[]] };
      const integrationRef = target['Fn::Join'][1][1] as { Ref: string };
      const integration = view.resources[integrationRef.Ref];
      expect(integration?.Type).toBe('AWS::ApiGatewayV2::Integration');
      expect(integration?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: view.resolve(stack.functions[route.fn].functionArn),
      });
      // Approvers' routes: the JWT authorizer first (the function checks again); the hooks authenticate in the function.
      expect(routes[0]?.Properties?.AuthorizationType ?? 'NONE').toBe(route.auth === 'approver' ? 'JWT' : 'NONE');
    },
  );

  it('checks approvers’ tokens with a JWT authorizer: the org’s default authorization server unless told otherwise', () => {
    const authorizers = view.ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: `${TEST_OKTA_ORG_URL}/oauth2/default`, Audience: ['api://default'] },
    });
    const { template } = synthStack({
      approvalsIssuer: 'https://acme-demo.okta.com/oauth2/aus1hookpilot/',
      approvalsAudience: 'api://hookpilot',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://acme-demo.okta.com/oauth2/aus1hookpilot', Audience: ['api://hookpilot'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [APPROVER_TOKEN_ENV.issuer]: 'https://acme-demo.okta.com/oauth2/aus1hookpilot',
          [APPROVER_TOKEN_ENV.audience]: 'api://hookpilot',
        }),
      },
    });
    expect(() => synthStack({ approvalsIssuer: 'http://acme-demo.okta.com/oauth2/default' })).toThrow(/https/);
  });

  it('has no route that is not in the manifest', () => {
    expect(routeKeys().sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('logs access to a log group (no headers) and throttles the default stage', () => {
    const stage = view.resourceOf(stack.hookApi.stage).Properties ?? {};
    expect(stage.StageName).toBe('$default');
    expect(stage.AutoDeploy).toBe(true);
    const logs = stage.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(logs.DestinationArn).toEqual(view.resolve(stack.hookApi.accessLogs.logGroupArn));
    expect(JSON.parse(logs.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(logs.Format).not.toMatch(/header|authorization/i);
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
  });

  it('takes the throttling from the stack props', () => {
    const { stack: custom, template } = synthStack({ apiThrottle: { rateLimit: 5, burstLimit: 10 } });
    const stage = new View(custom, template).resourceOf(custom.hookApi.stage).Properties ?? {};
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
  });
});

describe('notifications', () => {
  const publishers = (Object.keys(FUNCTIONS) as FunctionId[]).filter(
    (id) => (FUNCTIONS[id].uses as Uses).notificationsQueue === 'send',
  );

  it('are off by default: no publisher can reach the notifications queue, and the notifier has no channels', () => {
    expect(publishers.sort()).toEqual([
      'approvalsApi',
      'console',
      'eventsConsumer',
      'executor',
      'slackInteractivity',
      'sweeper',
    ]);
    for (const id of publishers) {
      expect(view.environmentOf(stack.functions[id])).not.toHaveProperty(ENV.notificationsQueueUrl);
    }
    expect(view.environmentOf(stack.functions.notifier)).not.toHaveProperty(NOTIFY_ENV.channels);
  });

  it('when on: every approval event publisher may send to the notifications queue, the notifier consumes it with its channels and the console URL', () => {
    const { stack: on, template } = synthStack({ notifications: { channels: ['teams', 'webhook'] } });
    const v = new View(on, template);
    const queueArn = JSON.stringify(v.resolve(on.queues.notificationsQueue.queueArn));
    for (const id of publishers) {
      expect(v.environmentOf(on.functions[id])[ENV.notificationsQueueUrl]).toEqual(
        v.resolve(on.queues.notificationsQueue.queueUrl),
      );
      expect(v.grantsOf(on.functions[id])).toContain(`sqs:SendMessage ${queueArn}`);
    }
    const notifier = v.environmentOf(on.functions.notifier);
    expect(notifier[NOTIFY_ENV.channels]).toBe('teams,webhook');
    expect(notifier[ENV.consoleUrl]).toEqual(v.resolve(on.hookApi.url));
    expect(notifier[NOTIFY_ENV.configSecretArn]).toEqual(v.resolve(on.secrets.notificationsConfig.secretArn));
    const notifierGrants = v.grantsOf(on.functions.notifier);
    expect(notifierGrants).toContain(`sqs:ChangeMessageVisibility ${queueArn}`);
    expect(notifierGrants).not.toContain(`sqs:SendMessage ${queueArn}`);
    // Fed by the queue, failures reported per record.
    const sources = v
      .ofType('AWS::Lambda::EventSourceMapping')
      .map((m) => m.Properties ?? {})
      .filter((p) => JSON.stringify(v.resolve(p.EventSourceArn)) === queueArn);
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: QUEUES.notificationsQueue.batchSize,
    });
  });

  it('refuses an unknown channel at synth', () => {
    expect(() => synthStack({ notifications: { channels: ['pager' as 'teams'] } })).toThrow(/unknown channel "pager"/);
  });
});

describe('alarms', () => {
  const alarms = (v: View) => v.ofType('AWS::CloudWatch::Alarm').map((a) => a.Properties ?? {});

  it.each(Object.keys(QUEUES) as QueueId[])('fires when the %s DLQ holds any message', (id) => {
    const matching = alarms(view).filter(
      (a) =>
        a.Namespace === 'AWS/SQS' &&
        a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        isDeepStrictEqual(a.Dimensions, [
          { Name: 'QueueName', Value: view.resolve(stack.deadLetterQueues[id].queueName) },
        ]),
    );
    expect(matching).toHaveLength(1);
    expect(matching[0]).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
  });

  it("fires on the receiver's errors and on the API's 5xx answers", () => {
    const all = alarms(view);
    const receiverErrors = all.filter(
      (a) =>
        a.Namespace === 'AWS/Lambda' &&
        a.MetricName === 'Errors' &&
        isDeepStrictEqual(a.Dimensions, [
          { Name: 'FunctionName', Value: view.resolve(stack.functions.eventHook.functionName) },
        ]),
    );
    expect(receiverErrors).toHaveLength(1);
    const serverErrors = all.filter((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx');
    expect(serverErrors).toHaveLength(1);
    expect(serverErrors[0]?.Dimensions).toEqual(
      expect.arrayContaining([{ Name: 'ApiId', Value: view.resolve(stack.hookApi.api.apiId) }]),
    );
    for (const alarm of [...receiverErrors, ...serverErrors]) {
      expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
    }
  });

  it('notifies nobody by default, and the alarm topic when one is given', () => {
    for (const alarm of alarms(view)) expect(alarm.AlarmActions).toBeUndefined();
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:hookpilot-alarms';
    const app = testApp();
    const topics = new Stack(app, 'Topics');
    const custom = new HookpilotStack(app, 'HookpilotStack', {
      alarmTopic: Topic.fromTopicArn(topics, 'Topic', topicArn),
    });
    const withTopic = alarms(new View(custom, Template.fromStack(custom)));
    expect(withTopic.length).toBe(alarms(view).length);
    for (const alarm of withTopic) {
      expect(alarm.AlarmActions).toEqual([topicArn]);
      expect(alarm.OKActions).toEqual([topicArn]);
    }
  });
});

describe('policy, mode and model', () => {
  it('sets the mode and the model only on the functions that use them', () => {
    const { stack: custom } = synthStack({
      mode: 'observe',
      model: { name: 'gpt-test', baseUrl: 'https://llm.example/v1' },
    });
    const custom_ = new View(custom, Template.fromStack(custom));
    for (const [id, spec] of entries(FUNCTIONS)) {
      const environment = custom_.environmentOf(custom.functions[id]);
      const uses: Uses = spec.uses;
      expect(environment.HOOKPILOT_MODE).toBe(uses.policy ? 'observe' : undefined);
      expect(environment.HOOKPILOT_MODEL).toBe(uses.model ? 'gpt-test' : undefined);
      expect(environment.OPENAI_BASE_URL).toBe(uses.model ? 'https://llm.example/v1' : undefined);
      expect(environment.HOOKPILOT_OPENAI_API_KEY_SECRET_ARN).toEqual(
        uses.model ? custom_.resolve(custom.secrets.openaiApiKey.secretArn) : undefined,
      );
      const readsKey = custom_
        .grantsOf(custom.functions[id])
        .includes(
          `secretsmanager:GetSecretValue ${JSON.stringify(custom_.resolve(custom.secrets.openaiApiKey.secretArn))}`,
        );
      expect(readsKey).toBe(uses.model !== undefined);
    }
  });

  it('gives no function the model key when no model is configured (the rules recommender answers)', () => {
    for (const fn of Object.values(stack.functions)) {
      expect(view.environmentOf(fn).HOOKPILOT_OPENAI_API_KEY_SECRET_ARN).toBeUndefined();
      expect(
        view.grantsOf(fn).some((g) => g.includes(JSON.stringify(view.resolve(stack.secrets.openaiApiKey.secretArn)))),
      ).toBe(false);
    }
  });

  it('refuses a policy file that is not valid, naming the field, and a plain-http model endpoint', () => {
    expect(() => synthStack({ policyFile: 'package.json' })).toThrow(
      /the policy in package.json is not valid: .*version/,
    );
    expect(() => synthStack({ policyFile: 'no/such/file.json' })).toThrow(/cannot be read/);
    expect(() => synthStack({ model: { name: 'm', baseUrl: 'http://llm.example/v1' } })).toThrow(/must use https/);
  });
});

describe('outputs', () => {
  it('gives the event hook URL and the secret ARN with the command that reads it', () => {
    const outputs = view.template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    const url = JSON.stringify(outputs.EventHookUrl?.Value);
    expect(url).toContain('https://');
    expect(url).toMatch(/\/okta\/events"\]\]\}$/);
    expect(outputs.EventHookSecretArn?.Value).toEqual(view.resolve(stack.secrets.eventHookSecret.secretArn));
    expect(outputs.EventHookSecretArn?.Description).toContain('aws secretsmanager get-secret-value');
    expect(outputs.OktaCredentialsSecretArn?.Value).toEqual(view.resolve(stack.secrets.oktaCredentials.secretArn));
    expect(outputs.OktaCredentialsSecretArn?.Description).toContain('aws secretsmanager put-secret-value');
  });

  it('creates the Okta credentials secret with a placeholder for the operator to replace, never a generated value', () => {
    const secret = view.resourceOf(stack.secrets.oktaCredentials as never);
    expect(secret.Properties?.SecretString).toBe('{"apiToken":"REPLACE_ME"}');
    expect(secret.Properties?.GenerateSecretString).toBeUndefined();
  });

  it('warns at synth when no Okta org URL is given, and refuses an unsafe one', () => {
    const { stack: bare } = synthStack({ oktaOrgUrl: undefined });
    const warnings = Annotations.fromStack(bare).findWarning('*', Match.stringLikeRegexp('oktaOrgUrl is not set'));
    expect(warnings).toHaveLength(1);
    expect(() => synthStack({ oktaOrgUrl: 'http://acme.okta.com' })).toThrow(/must use https/);
    expect(() => synthStack({ oktaOrgUrl: 'https://okta.attacker.example' })).toThrow(/is not an Okta domain/);
  });

  it('gives every table name and queue URL', () => {
    const outputs = view.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const values = Object.values(outputs).map((o) => o.Value);
    for (const table of Object.values(stack.tables)) expect(values).toContainEqual(view.resolve(table.tableName));
    for (const queue of [...Object.values(stack.queues), ...Object.values(stack.deadLetterQueues)]) {
      expect(values).toContainEqual(view.resolve(queue.queueUrl));
    }
  });
});
