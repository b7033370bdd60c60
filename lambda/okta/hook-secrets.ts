import { optionalEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { readSecret } from '../secrets.ts';
import { createSecretVerifier, parseSecretList, type SecretVerifier } from './hook-auth.ts';

/**
 * Where a hook's accepted secrets come from: the variable `valueEnv` itself (local use), or the Secrets Manager secret
 * named by `arnEnv` (deployed use; cached for five minutes, so a rotation needs no redeploy). Either holds one secret
 * or a JSON array of them. Returns a function giving the current verifier; configuration errors surface at once.
 */
export function hookSecretVerifier(valueEnv: string, arnEnv: string): () => Promise<SecretVerifier> {
  const value = optionalEnv(valueEnv);
  if (value !== undefined) {
    const verifier = createSecretVerifier(parseSecretList(value, valueEnv), valueEnv);
    return async () => verifier;
  }
  const arn = optionalEnv(arnEnv);
  if (arn === undefined) {
    throw new ConfigError(
      `${valueEnv} or ${arnEnv} must be set: the hook secret (or a JSON array of secrets), or the ARN of a Secrets Manager secret holding it`,
    );
  }
  let cached: { raw: string; verifier: SecretVerifier } | undefined;
  return async () => {
    const raw = await readSecret(arn, arnEnv, 'the hook secret');
    if (cached?.raw !== raw) cached = { raw, verifier: createSecretVerifier(parseSecretList(raw, arnEnv), arnEnv) };
    return cached.verifier;
  };
}
