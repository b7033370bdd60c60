import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { optionalEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';

/**
 * The inline hooks' rules, as data (`policy/inline-hooks.json`; docs/inline-hooks.md documents every field). Checked
 * with zod/mini, not the full zod of the policy file: every inline function is synchronous and its bundle stays lean.
 * Missing sections take safe defaults (registration allows any non-disposable domain, no entitlements are added).
 */
const Name = z.string().check(z.minLength(1), z.maxLength(200));
const Domain = z
  .string()
  .check(z.regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a lower-case domain, optionally *.domain'));
const ProfileValue = z.union([z.string(), z.number(), z.boolean()]);

const EnrichRule = z.strictObject({
  /** The rule's name, recorded in the audit trail. */
  name: z.optional(Name),
  /** Applies when the email's domain is one of these (`*.example.com` matches every subdomain). */
  emailDomains: z.array(Domain).check(z.minLength(1)),
  /** Profile attributes to set (only those the person did not fill in themselves). */
  set: z.record(Name, ProfileValue),
});

const RegistrationConfig = z.strictObject({
  /** When non-empty, only these email domains may register. */
  allowedEmailDomains: z._default(z.array(Domain), []),
  /** These email domains may never register (checked first). */
  deniedEmailDomains: z._default(z.array(Domain), []),
  /** Refuse the built-in list of disposable-mailbox domains (and `disposableDomains`). */
  denyDisposable: z._default(z.boolean(), true),
  disposableDomains: z._default(z.array(Domain), []),
  /** Attributes that must be present and non-empty (self-service registration). */
  requiredAttributes: z._default(z.array(Name), ['email']),
  /** Attribute → regular expression its value must match (whole value). */
  formats: z._default(z.record(Name, z.string().check(z.minLength(1), z.maxLength(500))), {}),
  /** Attribute → the largest length accepted (default 256 for every string attribute). */
  maxLength: z._default(z.int().check(z.minimum(1), z.maximum(10_000)), 256),
  enrich: z._default(z.array(EnrichRule), []),
  /** The summary shown above the fields when the email domain is refused (the causes say which field). */
  messages: z.prefault(
    z.strictObject({
      domainNotAllowed: z._default(Name, 'Registration is restricted to approved domains.'),
      domainDenied: z._default(Name, 'Registration with this email domain is not allowed.'),
      disposable: z._default(Name, 'Registration with a disposable email address is not allowed.'),
      invalidFields: z._default(Name, 'Please correct the highlighted fields.'),
    }),
    {},
  ),
  /** The optional model screen: it can only deny what the rules allow, never the other way round. */
  modelScreen: z.prefault(
    z.strictObject({
      enabled: z._default(z.boolean(), false),
      timeoutMs: z._default(z.int().check(z.minimum(50), z.maximum(2000)), 800),
    }),
    {},
  ),
});

const EntitlementMapping = z.strictObject({
  name: z.optional(Name),
  /** Applies to members of any of these groups (from the request's `groups` claim, when the server emits one). */
  groups: z.optional(z.array(Name)),
  /** Applies when every listed profile attribute has the given value. */
  profile: z.optional(z.record(Name, ProfileValue)),
  entitlements: z.array(Name).check(z.minLength(1)),
});

const EntitlementsConfig = z.strictObject({
  mappings: z._default(z.array(EntitlementMapping), []),
});

const TokenConfig = z.strictObject({
  /** The claim that carries the entitlements (never a reserved claim; checked at start-up). */
  claim: z._default(Name, 'entitlements'),
  /** Which tokens get it, when they are in the request. */
  tokens: z._default(z.array(z.enum(['access', 'identity'])), ['access', 'identity']),
  /** Optional access and ID token lifetime, in seconds (Okta: 300–86,400). */
  lifetimeSeconds: z.optional(z.nullable(z.int().check(z.minimum(300), z.maximum(86_400)))),
});

const SamlConfig = z.strictObject({
  attribute: z._default(Name, 'entitlements'),
  nameFormat: z._default(z.string(), 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic'),
});

const MatchKey = z.enum(['email', 'employeeNumber', 'login']);
const UserImportConfig = z.strictObject({
  /** Keys tried in order to match the app user to the Okta user Okta proposes. */
  matchBy: z._default(z.array(MatchKey), ['employeeNumber', 'email', 'login']),
  /** Where each key is in the app user's profile (default: the same name). */
  appUserAttributes: z._default(z.partialRecord(MatchKey, Name), {}),
  /** Lower-case and trim emails and logins, trim other strings, drop empty strings to null. */
  normalize: z._default(z.boolean(), true),
});

export const InlineConfigSchema = z.strictObject({
  version: z.literal(1),
  registration: z.prefault(RegistrationConfig, {}),
  entitlements: z.prefault(EntitlementsConfig, {}),
  token: z.prefault(TokenConfig, {}),
  saml: z.prefault(SamlConfig, {}),
  userImport: z.prefault(UserImportConfig, {}),
});

export type InlineConfig = z.output<typeof InlineConfigSchema>;
export type RegistrationRules = InlineConfig['registration'];
export type EntitlementRules = InlineConfig['entitlements'];

export const INLINE_CONFIG_ENV = {
  /** A path to the inline hooks' configuration file (local use and tests). */
  file: 'HOOKPILOT_INLINE_CONFIG_FILE',
  /** The configuration itself, as JSON. */
  json: 'HOOKPILOT_INLINE_CONFIG',
} as const;

/** The identifier the stack defines to build the configuration into a bundle (esbuild `define`). */
export const BUNDLED_INLINE_CONFIG_DEFINE = '__HOOKPILOT_INLINE_CONFIG__';
declare const __HOOKPILOT_INLINE_CONFIG__: string | undefined;
const BUNDLED = typeof __HOOKPILOT_INLINE_CONFIG__ === 'string' ? __HOOKPILOT_INLINE_CONFIG__ : undefined;

export function parseInlineConfig(input: unknown, source: string): InlineConfig {
  const parsed = InlineConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 10)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`the inline hook configuration in ${source} is not valid: ${issues}`);
  }
  for (const [attribute, pattern] of Object.entries(parsed.data.registration.formats)) {
    try {
      new RegExp(pattern, 'u');
    } catch {
      throw new ConfigError(`${source}: registration.formats.${attribute} is not a valid regular expression`);
    }
  }
  return parsed.data;
}

/**
 * The configuration in effect: the file named by HOOKPILOT_INLINE_CONFIG_FILE, else the JSON in HOOKPILOT_INLINE_CONFIG,
 * else the one the stack built into the bundle (`-c inlineConfigFile=…`, default policy/inline-hooks.json), else defaults.
 */
export function loadInlineConfig(): InlineConfig {
  const file = optionalEnv(INLINE_CONFIG_ENV.file);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`${INLINE_CONFIG_ENV.file} names ${file}, which cannot be read`);
    }
    return parseInlineConfig(parseJson(text, file), file);
  }
  const json = optionalEnv(INLINE_CONFIG_ENV.json);
  if (json) return parseInlineConfig(parseJson(json, INLINE_CONFIG_ENV.json), INLINE_CONFIG_ENV.json);
  if (BUNDLED)
    return parseInlineConfig(
      parseJson(BUNDLED, 'the bundled inline configuration'),
      'the bundled inline configuration',
    );
  return parseInlineConfig({ version: 1 }, 'the defaults');
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${source} is not valid JSON`);
  }
}
