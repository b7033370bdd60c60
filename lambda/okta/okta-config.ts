import { z } from 'zod';
import { intEnv, isLoopbackHost, optionalEnv, requiredEnv, SECRET_PLACEHOLDER } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { readSecret } from '../secrets.ts';

/** How hookpilot authenticates to the Okta Management API. */
export type OktaCredentials =
  | { readonly kind: 'apiToken'; readonly apiToken: string }
  | {
      readonly kind: 'privateKey';
      readonly clientId: string;
      /** PEM, or a JWK as JSON. */
      readonly privateKey: string;
      readonly keyId?: string;
      readonly scopes: readonly string[];
    };

export interface OktaSettings {
  readonly orgUrl: string;
  readonly credentials: () => Promise<OktaCredentials>;
  /** Total time budget of one Okta call, retries included (keep it below the Lambda timeout). */
  readonly requestTimeoutMs: number;
  /** The longest a 429 is waited out in-process; longer waits go back to the queue. */
  readonly maxRateLimitWaitMs: number;
}

export const OKTA_ENV = {
  orgUrl: 'HOOKPILOT_OKTA_ORG_URL',
  /** Local use: an API token (SSWS). */
  apiToken: 'HOOKPILOT_OKTA_API_TOKEN',
  /** Local use: an OAuth 2.0 service app (private_key_jwt). */
  clientId: 'HOOKPILOT_OKTA_CLIENT_ID',
  privateKey: 'HOOKPILOT_OKTA_PRIVATE_KEY',
  keyId: 'HOOKPILOT_OKTA_KEY_ID',
  scopes: 'HOOKPILOT_OKTA_SCOPES',
  /** Deployed use: a Secrets Manager secret holding `{"apiToken"}` or `{"clientId","privateKey","keyId?","scopes"}`. */
  credentialsSecretArn: 'HOOKPILOT_OKTA_CREDENTIALS_SECRET_ARN',
  /** `true` allows an http:// orgUrl on localhost (the Okta simulator); never in production. */
  allowHttp: 'HOOKPILOT_OKTA_ALLOW_HTTP',
  /** `true` allows an orgUrl that is not an Okta domain (a custom URL domain). */
  allowCustomDomain: 'HOOKPILOT_OKTA_ALLOW_CUSTOM_DOMAIN',
  requestTimeoutMs: 'HOOKPILOT_OKTA_REQUEST_TIMEOUT_MS',
  maxRateLimitWaitMs: 'HOOKPILOT_OKTA_MAX_RATE_LIMIT_WAIT_MS',
} as const;

/** The scopes a service app needs for everything hookpilot reads and does. */
export const DEFAULT_SCOPES = [
  'okta.users.read',
  'okta.users.manage',
  'okta.groups.read',
  'okta.groups.manage',
  'okta.apps.read',
  'okta.apps.manage',
  'okta.roles.read',
  'okta.roles.manage',
  'okta.logs.read',
] as const;

const OKTA_DOMAINS = ['okta.com', 'oktapreview.com', 'okta-emea.com', 'okta-gov.com', 'okta.mil', 'okta-miltest.com'];

/**
 * Checks an Okta org URL before any token is sent to it (the Okta SDK checks nothing): https, an Okta domain (or an
 * explicitly allowed custom domain), not the `-admin` host, no path. Returns the normalised origin.
 */
export function validateOrgUrl(
  raw: string,
  options: { allowHttp?: boolean; allowCustomDomain?: boolean } = {},
): string {
  const name = OKTA_ENV.orgUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL (expected https://<your-org>.okta.com)`);
  }
  const local = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local && options.allowHttp)) {
    throw new ConfigError(
      `${name} must use https (an http URL is accepted only on localhost with ${OKTA_ENV.allowHttp}=true, for the local Okta simulator)`,
    );
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError(
      `${name} must be the org's base URL only, e.g. https://acme.okta.com (no path, query or credentials)`,
    );
  }
  if (/-admin\./i.test(url.hostname)) {
    throw new ConfigError(`${name} points at the admin console host; use the org URL without "-admin"`);
  }
  const oktaDomain = OKTA_DOMAINS.some((d) => url.hostname === d || url.hostname.endsWith(`.${d}`));
  if (!oktaDomain && !local && !options.allowCustomDomain) {
    throw new ConfigError(
      `${name} (${url.hostname}) is not an Okta domain; if it is your org's custom URL domain, set ${OKTA_ENV.allowCustomDomain}=true`,
    );
  }
  return url.origin;
}

const SecretCredentials = z.union([
  z.object({ apiToken: z.string().min(10) }),
  z.object({
    clientId: z.string().min(1),
    privateKey: z.string().min(32),
    keyId: z.string().optional(),
    scopes: z.array(z.string()).min(1).optional(),
  }),
]);

/**
 * The Okta budget of a function that must answer while someone waits (Slack wants its answer within 3 s): each call
 * bounded to 1.5 s, retries included, and a 429 never waited out in-process — the clicker is told to try again.
 */
export const INTERACTIVE_OKTA_BUDGET = { requestTimeoutMs: 1_500, maxRateLimitWaitMs: 0 } as const satisfies Pick<
  OktaSettings,
  'requestTimeoutMs' | 'maxRateLimitWaitMs'
>;

/** Okta settings from the environment; throws a ConfigError naming what is missing. */
export function oktaSettings(): OktaSettings {
  const orgUrl = validateOrgUrl(requiredEnv(OKTA_ENV.orgUrl, 'the Okta org URL, e.g. https://acme.okta.com'), {
    allowHttp: optionalEnv(OKTA_ENV.allowHttp) === 'true',
    allowCustomDomain: optionalEnv(OKTA_ENV.allowCustomDomain) === 'true',
  });
  return {
    orgUrl,
    credentials: credentialSource(),
    requestTimeoutMs: intEnv(OKTA_ENV.requestTimeoutMs, 15_000, { min: 1000, max: 600_000 }),
    maxRateLimitWaitMs: intEnv(OKTA_ENV.maxRateLimitWaitMs, 5_000, { min: 0, max: 600_000 }),
  };
}

function credentialSource(): () => Promise<OktaCredentials> {
  const token = optionalEnv(OKTA_ENV.apiToken);
  if (token) return async () => ({ kind: 'apiToken', apiToken: token });
  const clientId = optionalEnv(OKTA_ENV.clientId);
  if (clientId) {
    const privateKey = requiredEnv(
      OKTA_ENV.privateKey,
      `the service app's private key (PEM or JWK) for ${OKTA_ENV.clientId}`,
    );
    const credentials: OktaCredentials = {
      kind: 'privateKey',
      clientId,
      privateKey,
      keyId: optionalEnv(OKTA_ENV.keyId),
      scopes: optionalEnv(OKTA_ENV.scopes)
        ?.split(/[\s,]+/)
        .filter(Boolean) ?? [...DEFAULT_SCOPES],
    };
    return async () => credentials;
  }
  const arn = optionalEnv(OKTA_ENV.credentialsSecretArn);
  if (!arn) {
    throw new ConfigError(
      `Okta credentials are not configured: set ${OKTA_ENV.credentialsSecretArn} (deployed), or ${OKTA_ENV.apiToken}, or ${OKTA_ENV.clientId} + ${OKTA_ENV.privateKey}`,
    );
  }
  return async () => {
    const text = await readSecret(arn, OKTA_ENV.credentialsSecretArn, 'the Okta credentials');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ConfigError(`the secret named by ${OKTA_ENV.credentialsSecretArn} is not JSON`);
    }
    const parsed = SecretCredentials.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(
        `the secret named by ${OKTA_ENV.credentialsSecretArn} must be {"apiToken": "..."} or {"clientId", "privateKey", "keyId"?, "scopes"?}`,
      );
    }
    if ('apiToken' in parsed.data && parsed.data.apiToken === SECRET_PLACEHOLDER) {
      throw new ConfigError(
        `the Okta credentials secret (${OKTA_ENV.credentialsSecretArn}) still holds its placeholder: put your service app or API token in it (docs/actions.md)`,
      );
    }
    return 'apiToken' in parsed.data
      ? { kind: 'apiToken', apiToken: parsed.data.apiToken }
      : { kind: 'privateKey', ...parsed.data, scopes: parsed.data.scopes ?? [...DEFAULT_SCOPES] };
  };
}
