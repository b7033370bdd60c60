import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { listen, readBody } from './http.ts';

/** A function the gateway can invoke: the handler module's export, and a fresh Lambda context per call. */
export interface HttpFunction {
  readonly handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;
  readonly context: () => Context;
}

export interface GatewayRoute {
  readonly method: string;
  readonly path: string;
  readonly fn: HttpFunction;
}

/** API Gateway HTTP APIs accept at most 10 MB. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * A local stand-in for the API Gateway HTTP API: it builds the same payload-2.0 events and invokes the same handlers.
 * Unknown routes get API Gateway's own `{"message":"Not Found"}`.
 */
export async function startGateway(options: {
  routes: readonly GatewayRoute[];
  port: number;
  host?: string;
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const started = Date.now();
    serve(req, res, options.routes)
      .catch(() => send(res, 500, { message: 'Internal Server Error' }))
      .finally(() =>
        options.onRequest?.({
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0] ?? '',
          status: res.statusCode,
          ms: Date.now() - started,
        }),
      );
  });
  const { url, stop } = await listen(server, options.host, options.port);
  return { url, server, stop };
}

async function serve(req: IncomingMessage, res: ServerResponse, routes: readonly GatewayRoute[]): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const method = (req.method ?? 'GET').toUpperCase();
  const matched = routes
    .filter((r) => r.method === method)
    .map((r) => ({ route: r, params: matchPath(r.path, url.pathname) }))
    .find((m) => m.params !== undefined);
  const body = await readBody(req, MAX_PAYLOAD_BYTES);
  if (!body) return send(res, 413, { message: 'Request Entity Too Large' });
  if (!matched?.params) return send(res, 404, { message: 'Not Found' });
  const { route, params } = matched;
  const event = toEvent(req, method, url, route.path, body, params);
  const result = await route.fn.handler(event, route.fn.context());
  if (typeof result === 'string' || result === undefined) return send(res, 200, result);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(
    result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body,
  );
}

/**
 * API Gateway's route matching: a literal path, or a template whose `{name}` segments match one non-empty segment each
 * (`/approvals/{id}`). Returns the path parameters, or undefined when the path does not match.
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = got[i] as string;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) {
      if (actual === '') return undefined;
      try {
        params[name] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) return undefined;
  }
  return params;
}

function toEvent(
  req: IncomingMessage,
  method: string,
  url: URL,
  path: string,
  body: Buffer,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const textual = /^(application\/(json|x-www-form-urlencoded|xml)|text\/)/i.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual }
      : { isBase64Encoded: false }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
