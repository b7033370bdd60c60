import { DependencyError, HookpilotError } from '../lambda/errors.ts';

/** A problem the user can fix, told in one line (the CLI prints `hookpilot: <message>` and exits 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** `--json` output: one JSON document on stdout, nothing else there. */
export const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

/**
 * One line for any error, never a stack trace: ours carry a message meant for people; a dependency's failure is told by
 * what the user can do about it (credentials, region, table name, a stopped local stack), never by the SDK's text.
 */
export function describeError(error: unknown): string {
  if (error instanceof DependencyError) {
    const cause = error.cause instanceof Error && error.cause.name !== 'Error' ? ` (${error.cause.name})` : '';
    return `${error.message}${hint(error.cause) ?? cause}`;
  }
  if (error instanceof CliError || error instanceof HookpilotError || isNamed(error, 'ConfigError', 'SimApiError')) {
    return firstLine((error as Error).message);
  }
  const text = error instanceof Error ? `${error.name}: ${firstLine(error.message)}` : firstLine(String(error));
  return `unexpected error: ${text}${hint(error) ?? ''} (HOOKPILOT_DEBUG=1 shows where)`;
}

/** What the user can do about an AWS SDK or network failure, as `: …` (undefined when there is nothing to add). */
function hint(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as NodeJS.ErrnoException).code ?? '';
  const nested = (cause as { cause?: unknown }).cause;
  if (cause.name === 'CredentialsProviderError' || /Could not load credentials/i.test(cause.message)) {
    return ': no AWS credentials found (set AWS_PROFILE, or run aws configure / aws sso login)';
  }
  if (/Region is missing/i.test(cause.message)) return ': no AWS region (pass --region or set AWS_REGION)';
  if (cause.name === 'ResourceNotFoundException') return ': the table does not exist (check --table and --region)';
  if (
    [
      'AccessDeniedException',
      'UnrecognizedClientException',
      'ExpiredTokenException',
      'InvalidSignatureException',
    ].includes(cause.name)
  ) {
    return `: AWS refused the request (${cause.name}): check your credentials and their permissions`;
  }
  if (cause.name === 'TimeoutError' || code === 'ETIMEDOUT') return ': it did not answer in time';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(code)) {
    return `: nothing answers there (${code}); if it is the local stack, is npm start still running?`;
  }
  return nested ? hint(nested) : undefined;
}

const isNamed = (error: unknown, ...names: string[]) => error instanceof Error && names.includes(error.name);

const firstLine = (text: string) => text.split('\n', 1)[0]?.trim() || 'no message';
