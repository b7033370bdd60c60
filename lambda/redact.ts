/**
 * Last line of defence for "nothing secret is audited or logged": drops values under secret-looking keys and values that
 * look like credentials, wherever they sit in a structure. Ids of secrets (`requestApiTokenId`) are kept.
 */
const SECRET_KEY =
  /password|passwd|passphrase|^pass$|secret|token|authori[sz]ation|api[-_]?key|private[-_]?key|credential|cookie|^otp|otpcode|^ssws$/i;
const ID_KEY = /(id|ids|type|count|expires?(at)?|name)$/i;
const SECRET_VALUE = /^(ssws|bearer|basic|dpop)\s+\S{8,}/i;
export const REDACTED = '[redacted]';

/** A UTF-16 surrogate without its other half: not a character, and no UTF-8 store can hold it as it is. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Also makes every string well-formed (a lone surrogate becomes U+FFFD), so what is written is what is read back. The
 * walk is bounded: below 12 levels everything is replaced, so no input can exhaust the stack.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > 12) return REDACTED as T;
  if (typeof value === 'string')
    return (SECRET_VALUE.test(value) ? REDACTED : value.replace(LONE_SURROGATE, '\ufffd')) as T;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      // Under a secret-looking key, text and structures go; numbers and booleans (token counts, an `oauthTokens`
      // flag) cannot hold a secret and stay.
      const secretShaped = typeof v === 'string' || (typeof v === 'object' && v !== null);
      out[key] = isSecretKey(key) && secretShaped ? REDACTED : redactSecrets(v, depth + 1);
    }
    return out as T;
  }
  return value;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !ID_KEY.test(key);
}
