import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors.ts';

/** The shortest secret hookpilot accepts; Okta sends the configured value verbatim in one header. */
export const MIN_SECRET_LENGTH = 16;

export type SecretVerifier = (presented: string | undefined) => boolean;

/**
 * Okta authenticates hook calls with one header whose value is exactly the configured secret (docs/okta-protocol.md
 * §1.7, §2.3). Every accepted secret is checked, in constant time, so a secret can be rotated without downtime: add the
 * new one, change Okta, then remove the old one. Values are hashed first so that comparisons never depend on length.
 */
export function createSecretVerifier(secrets: readonly string[], source: string): SecretVerifier {
  if (secrets.length === 0) throw new ConfigError(`${source} holds no secret`);
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(`${source}: every hook secret must be at least ${MIN_SECRET_LENGTH} characters long`);
    }
  }
  const digests = secrets.map(sha256);
  return (presented) => {
    if (presented === undefined || presented.length === 0) return false;
    const candidate = sha256(presented);
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(digest, candidate) || ok;
    return ok;
  };
}

/**
 * A secret setting holds one secret, or a JSON array of accepted secrets during a rotation:
 * `"s3cret…"` or `["new-s3cret…", "old-s3cret…"]`.
 */
export function parseSecretList(raw: string, source: string): string[] {
  const trimmed = raw.trim();
  if (!trimmed.startsWith('[')) return [trimmed];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ConfigError(`${source} starts with "[" but is not a JSON array of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((s): s is string => typeof s === 'string' && s.trim().length > 0)) {
    throw new ConfigError(`${source} must be a JSON array of non-empty strings`);
  }
  return parsed.map((s) => s.trim());
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
