import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  type IHttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INLINE_HOOK_TYPE_NAMES, inlineHookPath } from '../../lambda/okta/inline-types.ts';
import { CONSOLE_ROUTES, EVENT_HOOK_PATH, type FunctionId, ROUTES, SLACK_INTERACTIVITY_PATH } from '../manifest.ts';
import { constructId } from './names.ts';

export interface HookApiProps {
  /** The functions the routes call (by manifest id). */
  readonly functions: Readonly<Record<FunctionId, IFunction>>;
  /**
   * Throttling of the default stage (applies to every route; excess requests get 429, which Okta retries).
   *
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * The Okta authorization server whose access tokens the approvers' routes (`auth: 'approver'`) accept: the HTTP API's
   * JWT authorizer checks issuer, audience, expiry and signature before the function runs (which checks again).
   *
   * @default - no authorizer: the function alone verifies tokens (and, without an issuer setting, refuses every call)
   */
  readonly approverJwt?: { readonly issuer: string; readonly audience: string };
  /**
   * How long access logs are kept.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** Default stage throttling: far above Okta's event hook delivery rate, low enough to cap a flood's cost. */
export const DEFAULT_API_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const satisfies ThrottleSettings;

/**
 * The access log line: who called which route, the outcome and latencies. No headers, query strings or bodies (the hook
 * secret travels in a header).
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

/**
 * Why a route has no API Gateway authorizer, by path. Routes not listed here are reported by cdk-nag (AwsSolutions-APIG4)
 * until they get an authorizer (the approvals API will use a JWT authorizer for Okta-authenticated humans) or a reason.
 */
export const UNAUTHORIZED_ROUTE_REASONS: Readonly<Record<string, string>> = {
  [EVENT_HOOK_PATH]:
    'Okta event hooks support only header-secret authentication (no OAuth or JWT, so no API Gateway authorizer can verify them), and the one-time verification GET may arrive without that header. The function checks the header in constant time against every accepted secret before it parses the body, and answers 401 otherwise.',
  '/health': 'Public liveness check: answers a constant body, reads no data and holds no permissions.',
  [SLACK_INTERACTIVITY_PATH]:
    "Slack signs its interactivity requests with the app's signing secret (HMAC-SHA256 over the raw body and a timestamp); no API Gateway authorizer can verify that. The function verifies the signature in constant time against every accepted secret, refuses a timestamp more than 5 minutes away, before it parses the body, and answers 401 otherwise; the clicker is then mapped to an Okta user whose groups Okta gives.",
  ...Object.fromEntries(
    CONSOLE_ROUTES.map(([, path]) => [
      path,
      'The approvals console is a browser app with its own Okta sign-in (OIDC authorization code + PKCE): a browser sends no bearer token a JWT authorizer could check, and the sign-in routes must be reachable before sign-in. The function requires a server-side session (random id in an HttpOnly, Secure, SameSite=Lax cookie) created only after the access token from the sign-in passed the approvals API verifier, checks a CSRF token and the Origin on every POST, and redirects anything else to sign-in.',
    ]),
  ),
  ...Object.fromEntries(
    INLINE_HOOK_TYPE_NAMES.map((type) => [
      inlineHookPath(type),
      'Okta inline hooks authenticate with either a header secret (no authorizer can check it) or an OAuth 2.0 access token from an authorization server Okta chooses per hook; one route must accept both. The function checks the header in constant time against every accepted secret, or verifies the bearer JWT (signature, issuer, audience, expiry, client id, scope), before it parses the body, and answers 401 otherwise.',
    ]),
  ),
};

/** Why an approver route may lack the JWT authorizer: only when no issuer is configured, and then nothing gets in. */
export const NO_APPROVER_ISSUER_REASON =
  'No Okta authorization server is configured (approvalsIssuer / oktaOrgUrl), so no JWT authorizer can be built; the function verifies every access token itself (RS256 signature against the issuer JWKS, iss, aud, exp, nbf) and without an issuer setting refuses every call. The stack warns at synth.';

/**
 * The HTTP API (API Gateway v2) in front of the hooks: every `ROUTES` entry is a Lambda proxy route (payload 2.0) to its
 * function, on a `$default` stage with access logging and throttling.
 */
export class HookApi extends Construct {
  readonly api: HttpApi;
  readonly stage: IHttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: HookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'hookpilot: Okta event and inline hooks',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULT_API_THROTTLE,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const approverAuthorizer = props.approverJwt
      ? new HttpJwtAuthorizer('ApproverJwt', props.approverJwt.issuer, {
          jwtAudience: [props.approverJwt.audience],
          identitySource: ['$request.header.Authorization'],
        })
      : undefined;
    const integrations = new Map<FunctionId, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${constructId(route.fn)}Integration`, props.functions[route.fn]);
        integrations.set(route.fn, integration);
      }
      const authorizer = route.auth === 'approver' ? approverAuthorizer : undefined;
      const reason =
        UNAUTHORIZED_ROUTE_REASONS[route.path] ??
        (route.auth === 'approver' && !authorizer ? NO_APPROVER_ISSUER_REASON : undefined);
      for (const created of this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        ...(authorizer ? { authorizer } : {}),
      })) {
        // A route without a written reason keeps the finding, so a new route needs an authorizer or an explicit reason.
        if (reason) Validations.of(created).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      }
    }
  }

  /** The base URL of the API (ends with `/`). */
  get url(): string {
    return this.stage.url;
  }
}
