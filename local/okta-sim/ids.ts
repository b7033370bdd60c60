import { createHash, randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters of base62, from `bytes` (random unless given). */
export function base62(length: number, bytes: Buffer = randomBytes(length)): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[(bytes[i % bytes.length] ?? 0) % 62];
  return out;
}

/** The prefixes Okta uses for its 20-character object ids. */
export const ID_PREFIX = {
  user: '00u',
  group: '00g',
  app: '0oa',
  appAssignment: '0ua',
  roleAssignment: 'ra1',
  eventHook: 'who',
  apiToken: '00T',
  userType: 'oty',
  session: '102',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

/** A fresh Okta-style id: a 3-character prefix and 17 base62 characters (20 in all). */
export function newId(kind: IdKind): string {
  return `${ID_PREFIX[kind]}${base62(17)}`;
}

/** A deterministic Okta-style id derived from `key`: the same key always gives the same id. */
export function stableId(kind: IdKind, key: string): string {
  return `${ID_PREFIX[kind]}${base62(17, createHash('sha256').update(`${kind}:${key}`).digest())}`;
}

/** Matches an Okta object id of the given kind. */
export function isId(kind: IdKind, value: string): boolean {
  return value.length === 20 && value.startsWith(ID_PREFIX[kind]) && /^[0-9A-Za-z]+$/.test(value);
}

/** An `X-Okta-Request-Id`-like value (27 characters, as in Okta's responses and System Log `transaction.id`). */
export function newRequestId(): string {
  return base62(27);
}

/** An `errorId` like Okta's (`oae` + 22 characters). */
export function newErrorId(): string {
  return `oae${base62(22)}`;
}

/** A System Log event `uuid` or an event hook `eventId`. */
export function newUuid(): string {
  return randomUUID();
}

/** An opaque OAuth 2.0 access token. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** An SSWS API token in Okta's shape (`00` + 40 characters). */
export function newApiToken(): string {
  return `00${base62(40)}`;
}
