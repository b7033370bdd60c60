/**
 * The few error classes hookpilot uses. Each carries the HTTP status and a stable machine-readable code; the message is
 * safe to show to the caller (it never contains a secret, a stack trace or an upstream error's text). They are mapped to
 * responses in one place: `lambda/handlers/http.ts`.
 */
export abstract class HookpilotError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** The class name, written out in each class: bundles are minified, so `constructor.name` is not reliable. */
  abstract override readonly name: string;

  /** `options.cause` keeps the error this one explains (for logs and debugging; never put in a response). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The request is malformed or not what the endpoint accepts. Nothing was changed. */
export class BadRequestError extends HookpilotError {
  override readonly name = 'BadRequestError';
  readonly status = 400;
  constructor(
    message: string,
    readonly code = 'bad_request',
    /** Where the problem is (e.g. `data.events[2].uuid`), when it is about one field. */
    readonly details?: readonly { path: string; message: string }[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Missing or wrong credentials. For a hook secret the message never says which; for a bearer access token it says which
 * check failed (never echoing the token), and `challenge` is the `WWW-Authenticate` header to answer with (RFC 6750).
 */
export class UnauthorizedError extends HookpilotError {
  override readonly name = 'UnauthorizedError';
  readonly status = 401;
  constructor(
    message = 'unauthorized',
    readonly challenge?: string,
    readonly code: string = 'unauthorized',
  ) {
    super(message);
  }
}

/** A valid access token without a scope the endpoint requires (RFC 6750 `insufficient_scope`). */
export class InsufficientScopeError extends HookpilotError {
  override readonly name = 'InsufficientScopeError';
  readonly status = 403;
  readonly code = 'insufficient_scope';
  constructor(
    message: string,
    readonly challenge: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends HookpilotError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'not_found';
}

/** Valid credentials, but no right to do this (e.g. not an approver of this request, or its subject). */
export class ForbiddenError extends HookpilotError {
  override readonly name = 'ForbiddenError';
  readonly status = 403;
  constructor(
    message: string,
    readonly code = 'forbidden',
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** The request conflicts with the resource's current state (e.g. a decision on a request that is no longer pending). */
export class ConflictError extends HookpilotError {
  override readonly name = 'ConflictError';
  readonly status = 409;
  constructor(
    message: string,
    readonly code = 'conflict',
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export class MethodNotAllowedError extends HookpilotError {
  override readonly name = 'MethodNotAllowedError';
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(readonly allow: readonly string[]) {
    super(`method not allowed; use ${allow.join(' or ')}`);
  }
}

export class PayloadTooLargeError extends HookpilotError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends HookpilotError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/**
 * A dependency (DynamoDB, SQS, Secrets Manager, Okta, the model) failed. For event hooks this becomes a 503 so that Okta
 * retries; the message says what failed in general terms, never the upstream error text.
 */
export class DependencyError extends HookpilotError {
  override readonly name = 'DependencyError';
  readonly status = 503;
  readonly code = 'dependency_unavailable';
  /** `cause`: the dependency's own error, kept as `error.cause` for the logs. */
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/**
 * A required setting is missing or invalid. Thrown at start-up, naming the variable and what it should hold; pass
 * `{ cause }` when it wraps a parse error.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
