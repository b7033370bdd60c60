import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack's request signing (v0), as Slack documents it ("Verifying requests from Slack"): `X-Slack-Signature` is
 * `v0=` + hex HMAC-SHA256, keyed with the app's signing secret, of `v0:<X-Slack-Request-Timestamp>:<raw body>`. The
 * raw body means the bytes Slack sent, before any parsing (API Gateway may hand them over base64-encoded: decode
 * first). A request older or newer than five minutes is refused (replay). Comparison is constant-time, against each
 * accepted secret in turn (a list, so a secret can be rotated without downtime).
 */

/** Slack's replay window: five minutes either side of now. */
export const MAX_SKEW_SECONDS = 300;

export type SignatureCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Which check failed (safe to log and to answer with: it says nothing about the secret). */
      readonly reason:
        | 'missing_signature'
        | 'missing_timestamp'
        | 'bad_timestamp'
        | 'stale_timestamp'
        | 'bad_signature';
      readonly message: string;
    };

/** `v0=<hex>` for `body` sent at `timestamp` (seconds), signed with `secret`. */
export function slackSignature(secret: string, timestamp: string | number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`v0:${timestamp}:`);
  mac.update(body);
  return `v0=${mac.digest('hex')}`;
}

export function verifySlackSignature(input: {
  /** Accepted signing secrets (the current one first); at least one. */
  readonly secrets: readonly string[];
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
  /** The raw body: exactly what Slack sent. */
  readonly body: string | Buffer;
  readonly now: Date;
}): SignatureCheck {
  const { signature, timestamp } = input;
  if (!signature) return fail('missing_signature', 'the X-Slack-Signature header is missing');
  if (!timestamp) return fail('missing_timestamp', 'the X-Slack-Request-Timestamp header is missing');
  if (!/^\d{1,12}$/.test(timestamp)) {
    return fail('bad_timestamp', 'X-Slack-Request-Timestamp is not a Unix time in seconds');
  }
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS) {
    return fail('stale_timestamp', 'X-Slack-Request-Timestamp is more than five minutes from now (a replay?)');
  }
  if (input.secrets.length === 0) throw new Error('no Slack signing secret is configured');
  const given = Buffer.from(signature, 'utf8');
  let match = false;
  for (const secret of input.secrets) {
    const expected = Buffer.from(slackSignature(secret, timestamp, input.body), 'utf8');
    // timingSafeEqual needs equal lengths; a different length is a mismatch (its length is no secret).
    if (expected.length === given.length && timingSafeEqual(expected, given)) match = true;
  }
  return match ? { ok: true } : fail('bad_signature', 'the Slack signature does not match');
}

const fail = (reason: Exclude<SignatureCheck, { ok: true }>['reason'], message: string): SignatureCheck => ({
  ok: false,
  reason,
  message,
});
