import { MAX_INLINE_RESPONSE_BYTES } from './inline-types.ts';

/**
 * What an inline hook answers (docs/okta-protocol.md §2.1): `commands` applied in order, an optional `error` (whose
 * meaning depends on the type: for registration it denies, for token it refuses the token, for telephony it makes Okta
 * send the OTP itself) and an optional `debugContext` copied into Okta's System Log. Typed builders for every command
 * of every type live here, so a use case cannot misspell a command type or shape a value Okta would reject.
 */
export interface InlineCommand<T extends string = string, V = unknown> {
  readonly type: T;
  readonly value: V;
}

export interface InlineErrorCause {
  readonly errorSummary: string;
  readonly reason?: string;
  readonly locationType?: 'body' | 'header' | 'url' | 'query';
  /** A JSON path in the request, e.g. `data.userProfile.email`: the Sign-In Widget shows the cause next to that field. */
  readonly location?: string;
  readonly domain?: string;
}

export interface InlineError {
  readonly errorSummary: string;
  readonly errorCauses?: readonly InlineErrorCause[];
}

export interface InlineResponse {
  readonly commands?: readonly InlineCommand[];
  readonly error?: InlineError;
  /** Free-form, copied into the System Log event `inline_hook.response.processed`: ids and reasons, never secrets. */
  readonly debugContext?: Readonly<Record<string, unknown>>;
}

/** The profile attribute updates of registration and user import: attribute → value (null clears). */
export type ProfileValues = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

// ── Registration (`com.okta.user.pre-registration`, §2.4) ────────────────────────────────────────────────────────────
export const registrationAction = (registration: 'ALLOW' | 'DENY') =>
  ({ type: 'com.okta.action.update', value: { registration } }) as const satisfies InlineCommand;
/** Self-service registration only (Okta refuses it for a progressive profile request). */
export const registrationProfileUpdate = (values: ProfileValues) =>
  ({ type: 'com.okta.user.profile.update', value: values }) as const satisfies InlineCommand;
/** Progressive profile only. */
export const progressiveProfileUpdate = (values: ProfileValues) =>
  ({ type: 'com.okta.user.progressive.profile.update', value: values }) as const satisfies InlineCommand;

// ── Token (`com.okta.oauth2.tokens.transform`, §2.5) and SAML (`com.okta.saml.tokens.transform`, §2.6) ────────────────
export type PatchOperation =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };
export const identityPatch = (operations: readonly PatchOperation[]) =>
  ({ type: 'com.okta.identity.patch', value: operations }) as const satisfies InlineCommand;
export const accessPatch = (operations: readonly PatchOperation[]) =>
  ({ type: 'com.okta.access.patch', value: operations }) as const satisfies InlineCommand;
export const assertionPatch = (operations: readonly Extract<PatchOperation, { op: 'add' | 'replace' }>[]) =>
  ({ type: 'com.okta.assertion.patch', value: operations }) as const satisfies InlineCommand;
/** A JSON Pointer segment: `~` → `~0`, `/` → `~1` (claim names like `https://acme.example/roles`). */
export const pointerSegment = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1');

// ── User import (`com.okta.import.transform`, §2.7) ──────────────────────────────────────────────────────────────────
export const importResult = (result: 'CREATE_USER' | 'LINK_USER') =>
  ({ type: 'com.okta.action.update', value: { result } }) as const satisfies InlineCommand;
/** Required with `LINK_USER`: the Okta user the app user is linked to. */
export const importLinkUser = (id: string) => ({ type: 'com.okta.user.update', value: { id } }) as const;
export const importAppUserProfileUpdate = (values: ProfileValues) =>
  ({ type: 'com.okta.appUser.profile.update', value: values }) as const satisfies InlineCommand;
export const importUserProfileUpdate = (values: ProfileValues) =>
  ({ type: 'com.okta.user.profile.update', value: values }) as const satisfies InlineCommand;

// ── Password import (`com.okta.user.credential.password.import`, §2.8) ──────────────────────────────────────────────
export const passwordImportResult = (credential: 'VERIFIED' | 'UNVERIFIED') =>
  ({ type: 'com.okta.action.update', value: { credential } }) as const satisfies InlineCommand;

// ── Telephony (`com.okta.telephony.provider`, §2.9) ──────────────────────────────────────────────────────────────────
export interface TelephonyResult {
  readonly status: 'SUCCESSFUL' | 'PENDING' | 'FAILED';
  readonly provider?: string;
  readonly transactionId?: string;
  readonly transactionMetadata?: string;
}
export const telephonyAction = (results: readonly TelephonyResult[]) =>
  ({ type: 'com.okta.telephony.action', value: results }) as const satisfies InlineCommand;

/** The JSON text of an answer, and its size in bytes (UTF-8, as sent). */
export function serializeResponse(response: InlineResponse): { text: string; bytes: number } {
  const text = JSON.stringify(response);
  return { text, bytes: Buffer.byteLength(text, 'utf8') };
}

/** Whether Okta accepts an answer of this size (strictly below 256 KB). */
export const fitsOkta = (response: InlineResponse): boolean =>
  serializeResponse(response).bytes < MAX_INLINE_RESPONSE_BYTES;
