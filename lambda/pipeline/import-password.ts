import { type DigestCompare, normaliseLogin, verifyLegacyPassword } from '../domain/legacy-hash.ts';
import {
  type CredentialVerdict,
  type PasswordImportRequest,
  passwordImportAnswer,
} from '../okta/inline-password-import.ts';
import type { AuditRecord, LegacyHashStore } from '../ports.ts';

/**
 * The password import hook's decision: look up the user's legacy hash and verify the offered password against it in
 * constant time → `VERIFIED` (Okta then stores the password as the user's Okta password) or `UNVERIFIED`. The password
 * is copied once into a buffer that is zeroed when done; it is never logged, audited, queued or put into an error. A
 * store outage throws `DependencyError` (the answer is a 503: Okta retries once, then the sign-in fails — this hook
 * fails closed). The legacy hash is deleted later, when Okta's `user.import.password` event confirms the import.
 */
export interface ImportPasswordDeps {
  readonly store: Pick<LegacyHashStore, 'get'>;
  readonly audit: (record: AuditRecord) => void;
  readonly now: () => Date;
  /** Tests inject a recorder; production uses `crypto.timingSafeEqual`. */
  readonly compare?: DigestCompare;
}

export interface PasswordAnswer {
  readonly body: ReturnType<typeof passwordImportAnswer>;
  readonly verdict: CredentialVerdict;
  readonly reason: 'match' | 'mismatch' | 'no_legacy_hash';
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
  deps.audit({
    correlationId: String(request.eventId ?? request.data.context.request?.id ?? `password-import-${started}`),
    recordKey: 'inline.password_import',
    kind: `inline.password_import.${verdict.toLowerCase()}`,
    at: deps.now().toISOString(),
    actor: 'inline-password-import',
    summary: `legacy password ${verdict} for ${login} (${reason})`,
    ...(record?.oktaUserId ? { subjectUserId: record.oktaUserId } : {}),
    eventType: 'com.okta.user.credential.password.import',
    detail: {
      login,
      verdict,
      reason,
      algorithm: record?.hash.algorithm ?? null,
      importId: record?.importId ?? null,
      durationMs: Date.now() - started,
    },
  });
  return { body: passwordImportAnswer(verdict), verdict, reason };
}
