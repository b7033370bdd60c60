import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsRequestHandler } from './config.ts';
import { ConfigError, DependencyError } from './errors.ts';

/** How long a secret's value is reused before it is read again: a rotation takes effect within this time, no redeploy. */
export const SECRET_CACHE_SECONDS = 300;

/** Secrets Manager errors that mean the deployment is wrong, not that the service is down: retrying will not help. */
const MISCONFIGURED: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'does not exist',
  AccessDeniedException: "cannot be read with the function's role",
  DecryptionFailure: "cannot be decrypted with the function's role",
  InvalidRequestException: 'cannot be read (is it scheduled for deletion?)',
};

/**
 * The string value of the Secrets Manager secret `arn` (named by the variable `arnEnv`), cached for
 * `SECRET_CACHE_SECONDS`. A missing secret, or one the function may not read, is a `ConfigError` naming the variable; any
 * other failure is a `DependencyError` (an outage: retry). Errors never include the value.
 */
let provider: SecretsProvider | undefined;

export async function readSecret(arn: string, arnEnv: string, what: string): Promise<string> {
  let value: unknown;
  try {
    // Powertools' default client has no request timeout: give it the same bounded one as DynamoDB and SQS.
    provider ??= new SecretsProvider({
      awsSdkV3Client: new SecretsManagerClient({ maxAttempts: 3, requestHandler: awsRequestHandler() }),
    });
    value = await provider.get(arn, { maxAge: SECRET_CACHE_SECONDS });
  } catch (error) {
    const name = String((error as { cause?: { name?: unknown } }).cause?.name ?? (error as Error).name);
    const problem = MISCONFIGURED[name];
    if (problem) throw new ConfigError(`${what}: the secret named by ${arnEnv} ${problem}`);
    throw new DependencyError(`${what} could not be read from Secrets Manager`, error);
  }
  if (typeof value !== 'string') throw new ConfigError(`${what}: the secret named by ${arnEnv} has no string value`);
  return value;
}
