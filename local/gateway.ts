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
 * Unknown routes get API Gateway's own `{"message":"Not Found"}`; a path with dot segments or broken percent-encoding
 * `{"message":"Bad Request"}`.
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
  const body = await readBody(req, MAX_PAYLOAD_BYTES);
  if (!body) return send(res, 413, { message: 'Request Entity Too Large' });
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const path = routePath(rawPath);
  if (path === undefined) return send(res, 400, { message: 'Bad Request' });
  // API Gateway's rule: a route for the method itself, else the path's ANY route, else 404; a literal path before a
  // template (`/approvals/{id}`).
  const matched = findRoute(routes, method, path) ?? findRoute(routes, 'ANY', path);
  if (!matched) return send(res, 404, { message: 'Not Found' });
  const event = toEvent(req, method, url, rawPath, matched.route, body, matched.params);
  const result = await matched.route.fn.handler(event, matched.route.fn.context());
  if (typeof result === 'string' || result === undefined) return send(res, 200, result);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  // Payload 2.0 `cookies` become one Set-Cookie header each, as API Gateway sends them.
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(
    result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body,
  );
}

/**
 * The path a request is routed by, or undefined when it must be refused (400): percent-decoded once, as API Gateway
 * matches routes, and with no `.` or `..` segment, raw or encoded (`%2e%2e`). Node's URL parser would resolve
 * `/health/../okta/events` to `/okta/events`; clients resolve dot segments before they send, so a request that still has
 * one was crafted, and it reaches no function (see docs/local-stack.md).
 */
function routePath(rawPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined; // malformed percent-encoding
  }
  if (!decoded.startsWith('/')) return undefined;
  if (decoded.split(/[/\\]/).some((segment) => segment === '.' || segment === '..')) return undefined;
  return decoded;
}

function findRoute(
  routes: readonly GatewayRoute[],
  method: string,
  path: string,
): { route: GatewayRoute; params: Record<string, string> } | undefined {
  const candidates = routes.filter((r) => r.method === method);
  const literal = candidates.find((r) => r.path === path);
  if (literal) return { route: literal, params: {} };
  for (const route of candidates) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
}

/**
 * A route template's match: a literal path, or a template whose `{name}` segments each match one non-empty segment of
 * the (already decoded) path, e.g. `/approvals/{id}`. Returns the path parameters, or undefined when it does not match.
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  // A greedy last segment (`{proxy+}`) takes the rest of the path, as API Gateway's does.
  const greedy = /^\{(\w+)\+\}$/.exec(want[want.length - 1] ?? '')?.[1];
  if (greedy) {
    if (got.length < want.length) return undefined;
    const rest = got.slice(want.length - 1).join('/');
    const head = matchPath(want.slice(0, -1).join('/'), got.slice(0, want.length - 1).join('/'));
    return head ? { ...head, [greedy]: rest } : undefined;
  }
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = got[i] as string;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) {
      if (actual === '') return undefined;
      params[name] = actual;
    } else if (part !== actual) return undefined;
  }
  return params;
}

function toEvent(
  req: IncomingMessage,
  method: string,
  url: URL,
  rawPath: string,
  route: GatewayRoute,
  body: Buffer,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  // API Gateway joins a repeated header's values with commas (two Authorization headers become "a,b", which no secret
  // matches). Node's `req.headers` keeps only the first of some (Authorization among them); `headersDistinct` has all.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values === undefined) continue;
    // As API Gateway does for payload 2.0: the Cookie header becomes the `cookies` list (one entry per cookie).
    if (name.toLowerCase() === 'cookie') {
      cookies = values
        .flatMap((v) => v.split(';'))
        .map((c) => c.trim())
        .filter(Boolean);
    } else headers[name.toLowerCase()] = values.join(',');
  }
  const textual = /^(application\/(json|x-www-form-urlencoded|xml)|text\/)/i.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath,
    rawQueryString: url.search.slice(1),
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
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
