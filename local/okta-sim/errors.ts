import { newErrorId } from './ids.ts';

/** Okta's error body (docs/okta-protocol.md §3.3; OAS `Error`). `errorLink` equals `errorCode`, as Okta sends today. */
export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: Array<{ errorSummary: string }>;
}

/** An error the simulator answers with Okta's status, code and shape. Thrown by handlers, rendered by the server. */
export class OktaError extends Error {
  override readonly name = 'OktaError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly summary: string,
    readonly causes: readonly string[] = [],
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(`${status} ${code}: ${summary}`, options);
  }

  body(): OktaErrorBody {
    return {
      errorCode: this.code,
      errorSummary: this.summary,
      errorLink: this.code,
      errorId: newErrorId(),
      errorCauses: this.causes.map((errorSummary) => ({ errorSummary })),
    };
  }
}

/** The error codes the simulator uses (Okta's error catalog, docs/okta-protocol.md §3.3). */
export const E = {
  validation: (field: string, causes: readonly string[]) =>
    new OktaError(400, 'E0000001', `Api validation failed: ${field}`, causes),
  malformedBody: () => new OktaError(400, 'E0000003', 'The request body was not well-formed.'),
  invalidToken: (headers: Record<string, string> = {}) =>
    new OktaError(401, 'E0000011', 'Invalid token provided', [], headers),
  noPermission: (causes: readonly string[] = [], headers: Record<string, string> = {}) =>
    new OktaError(403, 'E0000006', 'You do not have permission to perform the requested action', causes, headers),
  notFound: (id: string, type: string) =>
    new OktaError(404, 'E0000007', `Not found: Resource not found: ${id} (${type})`),
  internal: () => new OktaError(500, 'E0000009', 'Internal Server Error'),
  alreadyActive: () => new OktaError(403, 'E0000016', 'Activation failed because the user is already active'),
  methodNotAllowed: () => new OktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method'),
  missingParameter: (name: string) =>
    new OktaError(400, 'E0000028', 'The request is missing a required parameter.', [`${name}: parameter is required`]),
  invalidSearch: (cause: string) => new OktaError(400, 'E0000031', 'Invalid search criteria.', [cause]),
  unlockNotAllowed: () => new OktaError(403, 'E0000032', 'Unlock is not allowed for this user.'),
  wrongStatus: (operation: string, status: string) =>
    new OktaError(403, 'E0000038', "This operation is not allowed in the user's current status.", [
      `${operation} is not allowed for a user with status ${status}`,
    ]),
  rateLimited: () => new OktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.'),
  alreadyAssignedToApp: () =>
    new OktaError(409, 'E0000062', 'The specified user is already assigned to the application.'),
  duplicateRole: () => new OktaError(409, 'E0000090', 'Duplicate role assignment exception.'),
  tooManyGroups: () =>
    new OktaError(400, 'E0000093', 'Target count limit exceeded', ['The number of group targets is too large']),
  inactiveUserApp: () =>
    new OktaError(403, 'E0000117', 'Cannot assign apps or update app profiles for an inactive user.'),
  expiredPasswordNeedsPassword: () =>
    new OktaError(
      400,
      'E0000124',
      'Could not create user. To create a user and expire their password immediately, a password must be specified.',
      ['Could not create user. To create a user and expire their password immediately, a password must be specified.'],
    ),
  expiredPasswordNeedsActivation: () =>
    new OktaError(
      400,
      'E0000125',
      'Could not create user. To create a user and expire their password immediately, `activate` must be true.',
      ['Could not create user. To create a user and expire their password immediately, `activate` must be true.'],
    ),
} as const;
