import { pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';

/**
 * Legacy password hashes the password import hook verifies at a user's first sign-in — only the schemes Okta cannot
 * take directly (`credentials.password.hash` takes BCRYPT, SHA-1/256/512, MD5 and PBKDF2 with HMAC-SHA-256/512 and
 * ≥ 4096 iterations: `hookpilot passwords import` sends those to Okta instead). Here: PBKDF2 with other settings (fewer
 * iterations, HMAC-SHA-1) and scrypt, both from `node:crypto`. argon2 is not supported (it needs a native package).
 */
export const LegacyHashSchema = z.discriminatedUnion('algorithm', [
  z.object({
    algorithm: z.literal('pbkdf2'),
    digest: z.enum(['sha1', 'sha256', 'sha512']),
    iterations: z.number().check(z.int(), z.minimum(1), z.maximum(10_000_000)),
    /** base64 */
    salt: z.string(),
    /** base64 of the derived key; its length is the key length. */
    hash: z.string().check(z.minLength(4)),
  }),
  z.object({
    algorithm: z.literal('scrypt'),
    /** Cost (a power of two), block size, parallelism. */
    N: z.number().check(z.int(), z.minimum(2), z.maximum(2 ** 17)),
    r: z.number().check(z.int(), z.minimum(1), z.maximum(16)),
    p: z.number().check(z.int(), z.minimum(1), z.maximum(16)),
    salt: z.string(),
    hash: z.string().check(z.minLength(4)),
  }),
]);
export type LegacyHash = z.infer<typeof LegacyHashSchema>;

/** One stored hash: whose it is, which import brought it and until when the import runs. */
export interface LegacyHashRecord {
  /** Okta login, lower case (the hook receives `data.context.credential.username`). */
  readonly login: string;
  readonly hash: LegacyHash;
  readonly importId: string;
  /** ISO date after which `hookpilot passwords pending` lists the user as never migrated. */
  readonly sunset: string;
  readonly importedAt: string;
  /** The Okta user id, when the CLI created or found the user. */
  readonly oktaUserId?: string;
}

export const normaliseLogin = (login: string): string => login.trim().toLowerCase();

/** Comparison of two equal-length digests; `crypto.timingSafeEqual` unless a test injects a recorder. */
export type DigestCompare = (a: Buffer, b: Buffer) => boolean;

/**
 * Whether `password` matches `stored`, in time that does not depend on where a mismatch sits: the candidate is derived
 * at the stored key length, so both digests always have equal length and one `timingSafeEqual` decides. The derived
 * digest is zeroed afterwards; the caller zeroes `password`.
 */
export function verifyLegacyPassword(
  password: Buffer,
  stored: LegacyHash,
  compare: DigestCompare = timingSafeEqual,
): boolean {
  const expected = Buffer.from(stored.hash, 'base64');
  const derived = derive(password, stored, expected.length);
  try {
    return compare(derived, expected);
  } finally {
    derived.fill(0);
  }
}

/** A hash's settings without the hash itself. */
export type LegacyHashSpec = LegacyHash extends infer T ? (T extends LegacyHash ? Omit<T, 'hash'> : never) : never;

function derive(password: Buffer | string, spec: LegacyHashSpec, keyLength: number): Buffer {
  const salt = Buffer.from(spec.salt, 'base64');
  if (spec.algorithm === 'pbkdf2') return pbkdf2Sync(password, salt, spec.iterations, keyLength, spec.digest);
  const maxmem = 256 * spec.N * spec.r + 1024 * 1024;
  return scryptSync(password, salt, keyLength, { N: spec.N, r: spec.r, p: spec.p, maxmem });
}

/** Hashes a password the way `verifyLegacyPassword` checks it (for tests, the demo and tools). */
export function hashLegacyPassword(password: string, spec: LegacyHashSpec, keyLength = 32): LegacyHash {
  return { ...spec, hash: derive(password, spec, keyLength).toString('base64') } as LegacyHash;
}
