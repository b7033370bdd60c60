import * as z from 'zod/mini';
import type { PatchOperation } from './inline-commands.ts';

/**
 * The token inline hook (`com.okta.oauth2.tokens.transform`, docs/okta-protocol.md §2.5): the request's view, the
 * claims Okta reserves, and the check every patch passes before it is sent — Okta drops a whole patch for one invalid
 * operation, so hookpilot never sends one.
 */
const Record_ = z.record(z.string(), z.unknown());
const TokenPart = z.looseObject({
  claims: z.optional(z.nullable(Record_)),
  token: z.optional(
    z.nullable(
      z.looseObject({
        lifetime: z.optional(z.nullable(z.looseObject({ expiration: z.optional(z.nullable(z.number())) }))),
      }),
    ),
  ),
});
export const TokenRequestSchema = z.looseObject({
  data: z.looseObject({
    context: z.looseObject({
      user: z.optional(
        z.nullable(z.looseObject({ id: z.optional(z.nullable(z.string())), profile: z.optional(z.nullable(Record_)) })),
      ),
      protocol: z.optional(
        z.nullable(
          z.looseObject({ client: z.optional(z.nullable(z.looseObject({ id: z.optional(z.nullable(z.string())) }))) }),
        ),
      ),
    }),
    identity: z.optional(z.nullable(TokenPart)),
    access: z.optional(z.nullable(TokenPart)),
  }),
});
export type TokenRequest = z.output<typeof TokenRequestSchema>;
export type TokenKind = 'access' | 'identity';

/** Registered claims no hook may set in either token (RFC 7519 and Okta's own `ver`, `token_type`). */
const REGISTERED = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'scp', 'ver', 'token_type'] as const;

/**
 * Claims a token hook can never add, change or remove (Okta's token hook reference, "Reserved claims for Token Hooks";
 * copied into docs/okta-protocol.md §2.5). In access tokens `aud` and `sub` may be *changed* (replace), never added.
 */
export const RESERVED_CLAIMS: Readonly<Record<TokenKind, ReadonlySet<string>>> = {
  access: new Set([...REGISTERED, 'acr', 'amr', 'as_uri', 'cid', 'groups', 'rpt', 'rsi', 'uid', 'username']),
  identity: new Set([
    ...REGISTERED,
    'active',
    'aid',
    'amr',
    'app_id',
    'app_type',
    'at_hash',
    'auth_time',
    'c_hash',
    'client_id',
    'client_ip',
    'client_req_id',
    'client_type',
    'client_user_agent',
    'cnf',
    'device_compliance',
    'device_id',
    'device_known',
    'device_managed',
    'device_name',
    'device_trust',
    'did',
    'dst',
    'group',
    'groups',
    'hotk',
    'idp',
    'idp_iss',
    'mac_key',
    'may_act',
    'nonce',
    'oid',
    'okta_emailVerified',
    'okta_lastUpdated',
    'orig',
    'permissions',
    'purpose',
    'pwd_exp_days',
    'pwd_exp_time',
    'rid',
    'role',
    'scope',
    'scopes',
    'sid',
    'term',
    'user_ip',
  ]),
};
/** Reserved, yet changeable with `replace` in access tokens. */
const ACCESS_REPLACEABLE = new Set(['aud', 'sub']);

export const LIFETIME_PATH = '/token/lifetime/expiration';
export const MIN_LIFETIME_SECONDS = 300;
export const MAX_LIFETIME_SECONDS = 86_400;

/** Whether a claim name may be added to tokens of both kinds (checked on the configuration at start-up). */
export const isReservedClaim = (name: string): boolean =>
  RESERVED_CLAIMS.access.has(name) || RESERVED_CLAIMS.identity.has(name);

/** A JSON Pointer segment back to the name it encodes; undefined for an invalid escape. */
function unescapeSegment(segment: string): string | undefined {
  if (/~[^01]|~$/.test(segment)) return undefined;
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Everything wrong with a token patch, as readable problems (empty: Okta will apply it). Checks each operation's op,
 * path (`/claims/<name>[/…]` or `/token/lifetime/expiration`), value, and that no reserved claim is touched.
 */
export function tokenPatchProblems(kind: TokenKind, operations: readonly PatchOperation[]): string[] {
  const problems: string[] = [];
  operations.forEach((operation, index) => {
    const at = `${kind}[${index}]`;
    const { op, path } = operation;
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      problems.push(`${at}: op must be add, replace or remove`);
      return;
    }
    const value = 'value' in operation ? operation.value : undefined;
    if (path === LIFETIME_PATH) {
      if (op !== 'replace') problems.push(`${at}: the token lifetime can only be replaced`);
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < MIN_LIFETIME_SECONDS ||
        value > MAX_LIFETIME_SECONDS
      ) {
        problems.push(`${at}: the token lifetime must be ${MIN_LIFETIME_SECONDS}–${MAX_LIFETIME_SECONDS} seconds`);
      }
      return;
    }
    const match = /^\/claims\/([^/]+)(\/.*)?$/.exec(path);
    const name = match?.[1] === undefined ? undefined : unescapeSegment(match[1]);
    if (
      name === undefined ||
      name === '' ||
      (match?.[2] ?? '')
        .split('/')
        .slice(1)
        .some((s) => s === '' || unescapeSegment(s) === undefined)
    ) {
      problems.push(`${at}: path must be /claims/<name> or ${LIFETIME_PATH}`);
      return;
    }
    if (RESERVED_CLAIMS[kind].has(name)) {
      const changeable =
        kind === 'access' && ACCESS_REPLACEABLE.has(name) && op === 'replace' && match?.[2] === undefined;
      if (!changeable)
        problems.push(`${at}: ${name} is a reserved claim of ${kind === 'access' ? 'access' : 'ID'} tokens`);
    }
    if (op === 'remove') {
      if (value !== undefined && value !== null) problems.push(`${at}: remove takes no value`);
    } else if (value === undefined) {
      problems.push(`${at}: ${op} needs a value`);
    }
  });
  return problems;
}
