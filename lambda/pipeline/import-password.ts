import { type DigestCompare, normaliseLogin, verifyLegacyPassword } from '../domain/legacy-hash.ts';
import {
  type CredentialVerdict,
  type PasswordImportRequest,
  passwordImportAnswer,
} from '../okta/inline-password-import.ts';
import type { LegacyHashStore } from '../ports.ts';

/**
 * The password import hook's decision: look up the user's legacy hash and verify the offered password against it in
 * constant time → `VERIFIED` (Okta then stores the password as the user's Okta password) or `UNVERIFIED`. The password
 * is copied once into a buffer that is zeroed when done; it is never logged, audited, queued or put into an error. A
 * store outage throws `DependencyError` (the answer is a 503: Okta retries once, then the sign-in fails — this hook
 * fails closed). The legacy hash is deleted later, when Okta's `user.import.password` event confirms the import.
 */
export interface ImportPasswordDeps {
  readonly store: Pick<LegacyHashStore, 'get'>;
  /** Tests inject a recorder; production uses `crypto.timingSafeEqual`. */
  readonly compare?: DigestCompare;
}

/** Shaped as the inline framework's `InlineDecision` (the framework audits `outcome`, `reason`, `detail`). */
export interface PasswordAnswer {
  readonly response: ReturnType<typeof passwordImportAnswer>;
  readonly outcome: CredentialVerdict;
  readonly reason: 'match' | 'mismatch' | 'no_legacy_hash';
  readonly subjectUserId?: string;
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

export async function importPassword(
  request: PasswordImportRequest,
  deps: ImportPasswordDeps,
): Promise<PasswordAnswer> {
  const started = Date.now();
  const { credential } = request.data.context;
  const login = normaliseLogin(credential.username);
  const record = await deps.store.get(login);
  let reason: PasswordAnswer['reason'] = 'no_legacy_hash';
  if (record) {
    const password = Buffer.from(credential.password, 'utf8');
    try {
      reason = verifyLegacyPassword(password, record.hash, deps.compare) ? 'match' : 'mismatch';
    } finally {
      password.fill(0);
    }
  }
  const verdict: CredentialVerdict = reason === 'match' ? 'VERIFIED' : 'UNVERIFIED';
  return {
    response: passwordImportAnswer(verdict),
    outcome: verdict,
    reason,
    ...(record?.oktaUserId ? { subjectUserId: record.oktaUserId } : {}),
    detail: {
      login,
      algorithm: record?.hash.algorithm ?? null,
      importId: record?.importId ?? null,
      verifyMs: Date.now() - started,
    },
  };
}
