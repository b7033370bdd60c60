import * as z from 'zod/mini';
import { optionalEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { readSecret } from '../secrets.ts';

/**
 * The telephony hook's configuration, as data (JSON): the providers, which phone-number prefixes go to which providers
 * (in failover order), and the rate limits. Locally it is the variable `HOOKPILOT_TELEPHONY_CONFIG`; deployed, the
 * Secrets Manager secret `telephonyConfig` (it holds provider credentials). Example in docs/inline-hooks.md.
 */
export const TELEPHONY_ENV = {
  config: 'HOOKPILOT_TELEPHONY_CONFIG',
  configSecretArn: 'HOOKPILOT_TELEPHONY_CONFIG_ARN',
} as const;

const name = z.string().check(z.regex(/^[A-Za-z0-9._-]{1,40}$/));
const httpsUrl = z.string().check(
  z.refine((u) => /^https:\/\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(u), {
    message: 'must be an https URL (http only on the loopback interface)',
  }),
);

const GatewaySchema = z.object({
  type: z.literal('gateway'),
  url: httpsUrl,
  authHeader: z.optional(z.object({ name: z.string().check(z.minLength(1)), value: z.string().check(z.minLength(1)) })),
  /** The JSON body; string values may hold `{{to}}`, `{{text}}`, `{{channel}}`, `{{locale}}`. */
  bodyTemplate: z._default(z.unknown(), { to: '{{to}}', text: '{{text}}', channel: '{{channel}}' }),
  /** Where the gateway's JSON answer holds the message id. */
  idField: z._default(z.string(), 'id'),
});

const TwilioSchema = z.object({
  type: z.literal('twilio'),
  accountSid: z.string().check(z.minLength(1)),
  authToken: z.string().check(z.minLength(1)),
  apiKeySid: z.optional(z.string()),
  from: z.optional(z.string()),
  messagingServiceSid: z.optional(z.string()),
  baseUrl: z._default(httpsUrl, 'https://api.twilio.com'),
});

const LimitSchema = z.object({
  limit: z.number().check(z.int(), z.minimum(1), z.maximum(10_000)),
  windowSeconds: z.number().check(z.int(), z.minimum(10), z.maximum(7 * 86_400)),
});

export const TelephonyConfigSchema = z.object({
  providers: z.record(name, z.discriminatedUnion('type', [GatewaySchema, TwilioSchema])),
  /** Longest matching `prefix` wins ("+1", "+44", "" for everything else); `providers` in failover order. */
  routes: z.array(z.object({ prefix: z.string().check(z.regex(/^(\+\d{0,6})?$/)), providers: z.array(name) })),
  limits: z._default(z.object({ perNumber: z.optional(LimitSchema), perUser: z.optional(LimitSchema) }), {
    perNumber: { limit: 5, windowSeconds: 3600 },
    perUser: { limit: 10, windowSeconds: 3600 },
  }),
  /** At most this long for one provider attempt; what is left of the budget goes to the next. */
  attemptTimeoutMs: z._default(z.number().check(z.int(), z.minimum(100), z.maximum(2800)), 1200),
});
export type TelephonyConfig = z.infer<typeof TelephonyConfigSchema>;
export type ProviderConfig = TelephonyConfig['providers'][string];
export type GatewayProviderConfig = z.infer<typeof GatewaySchema>;
export type TwilioProviderConfig = z.infer<typeof TwilioSchema>;

/** No providers at all: every request is answered with the fallback error (Okta sends the OTP itself). */
export const NO_TELEPHONY: TelephonyConfig = {
  providers: {},
  routes: [],
  limits: { perNumber: { limit: 5, windowSeconds: 3600 }, perUser: { limit: 10, windowSeconds: 3600 } },
  attemptTimeoutMs: 1200,
};

/** Parses the JSON text; a problem is a `ConfigError` naming the field (never echoing a value: it holds credentials). */
export function parseTelephonyConfig(json: string, source: string): TelephonyConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigError(`${source} is not JSON`);
  }
  const parsed = TelephonyConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`${source} is invalid: ${where}`);
  }
  for (const route of parsed.data.routes) {
    for (const p of route.providers) {
      if (!Object.hasOwn(parsed.data.providers, p)) {
        throw new ConfigError(`${source} is invalid: route "${route.prefix}" names unknown provider "${p}"`);
      }
    }
  }
  return parsed.data;
}

/**
 * The configuration as the handler finds it: `HOOKPILOT_TELEPHONY_CONFIG` (JSON), else the secret named by
 * `HOOKPILOT_TELEPHONY_CONFIG_ARN` (read through the cache, so a changed secret applies within minutes), else no
 * providers — every request then falls back to Okta's own providers, which is a working (if rate-limited) setup.
 */
export async function loadTelephonyConfig(): Promise<TelephonyConfig> {
  const inline = optionalEnv(TELEPHONY_ENV.config);
  if (inline) return parseTelephonyConfig(inline, TELEPHONY_ENV.config);
  const arn = optionalEnv(TELEPHONY_ENV.configSecretArn);
  if (!arn) return NO_TELEPHONY;
  const text = await readSecret(arn, TELEPHONY_ENV.configSecretArn, 'the telephony configuration');
  return parseTelephonyConfig(text, `the secret named by ${TELEPHONY_ENV.configSecretArn}`);
}
