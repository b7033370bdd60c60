import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ConfigError, HookpilotError, MethodNotAllowedError } from '../errors.ts';
import { logger } from '../log.ts';
import type { HttpRequest, HttpResult } from '../ports.ts';

/**
 * The one place where API Gateway (HTTP API, payload 2.0) events become `HttpRequest`s and results or errors become
 * responses. Error bodies are `{"error": {"code", "message", "details"?}}`: never a stack trace, never upstream text.
 */
export function httpHandler(
  route: (request: HttpRequest) => Promise<HttpResult>,
): (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    let result: HttpResult;
    try {
      result = await route(toHttpRequest(event));
    } catch (error) {
      result = errorResult(error);
    }
    return toApiGatewayResult(result);
  };
}

export function toHttpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  // Payload 2.0 moves the Cookie header into `cookies`; put it back where handlers look for it.
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  const body =
    event.body === undefined || event.body === null
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    headers,
    ...(event.queryStringParameters ? { query: event.queryStringParameters } : {}),
    ...(event.pathParameters ? { pathParameters: event.pathParameters } : {}),
    body,
  };
}

export function errorResult(error: unknown): HttpResult {
  if (error instanceof HookpilotError) {
    if (error.status >= 500)
      logger.error('dependency failure', { code: error.code, cause: describeCause(error.cause) });
    const details = 'details' in error && error.details ? { details: error.details } : {};
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message, ...details } },
      headers:
        error instanceof MethodNotAllowedError
          ? { allow: error.allow.join(', ') }
          : 'challenge' in error && typeof error.challenge === 'string'
            ? { 'www-authenticate': error.challenge }
            : undefined,
    };
  }
  if (error instanceof ConfigError) {
    logger.error('hookpilot is misconfigured', { message: error.message });
    return {
      status: 500,
      body: { error: { code: 'misconfigured', message: 'hookpilot is misconfigured; see its logs' } },
    };
  }
  logger.error('unexpected error', { error: describeCause(error) });
  return { status: 500, body: { error: { code: 'internal_error', message: 'internal error' } } };
}

export function toApiGatewayResult(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  const cookies = result.cookies?.length ? { cookies: [...result.cookies] } : {};
  if (result.body === undefined) return { statusCode: result.status, headers: { ...result.headers }, ...cookies };
  // A string with its own content type goes as it is (the console's HTML); anything else is JSON.
  if (typeof result.body === 'string' && result.headers?.['content-type']) {
    return { statusCode: result.status, headers: { ...result.headers }, body: result.body, ...cookies };
  }
  return {
    statusCode: result.status,
    headers: { 'content-type': 'application/json', ...result.headers },
    body: JSON.stringify(result.body),
    ...cookies,
  };
}

/** An error's class and code for the logs; messages of SDK errors are kept, they carry no request data. */
function describeCause(error: unknown): Record<string, unknown> | undefined {
  if (!(error instanceof Error)) return error === undefined ? undefined : { value: String(error) };
  return { name: error.name, message: error.message, ...('code' in error ? { code: error.code } : {}) };
}
