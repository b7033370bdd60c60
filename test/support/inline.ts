import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { InlineHookType } from '../../lambda/okta/inline-types.ts';
import { FUNCTIONS, INLINE_FUNCTIONS, ROUTES } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { type GatewayRoute, type HttpFunction, startGateway } from '../../local/gateway.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { LOCAL_INLINE_CLIENT_SECRET } from '../../local/okta-sim/index.ts';

/**
 * The inline hook functions behind the local gateway, on a free port, loaded from the manifest exactly as the local
 * stack loads them (their routes, their handler modules). Call after `useLocalEnv`: handlers read the environment at
 * import. Each test file runs in its own module graph, so each gets handlers configured with its own environment.
 */
export async function startInlineGateway(): Promise<{ url: string; stop: () => Promise<void> }> {
  const inlineIds = new Set<string>(Object.values(INLINE_FUNCTIONS));
  const loaded = new Map<string, HttpFunction>();
  for (const id of inlineIds) {
    const spec = FUNCTIONS[id as keyof typeof FUNCTIONS];
    const module = (await import(pathToFileURL(resolve(ROOT, spec.entry)).href)) as {
      handler: HttpFunction['handler'];
    };
    loaded.set(id, { handler: module.handler, context: () => lambdaContext(`hookpilot-${id}`, spec.timeoutSeconds) });
  }
  const routes: GatewayRoute[] = ROUTES.filter((r) => inlineIds.has(r.fn)).map((r) => ({
    method: r.method,
    path: r.path,
    fn: loaded.get(r.fn) as HttpFunction,
  }));
  const gateway = await startGateway({ routes, port: 0, host: '127.0.0.1' });
  return { url: gateway.url, stop: () => gateway.stop() };
}

/** An access token as Okta gets one for an OAuth-secured inline hook: client credentials at the token endpoint. */
export async function inlineHookToken(
  issuer: string,
  options: { clientId?: string; clientSecret?: string; scope?: string } = {},
): Promise<string> {
  const response = await fetch(`${issuer}/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId ?? 'hookpilot-inline-hooks',
      client_secret: options.clientSecret ?? LOCAL_INLINE_CLIENT_SECRET,
      scope: options.scope ?? 'hookpilot.inline',
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token endpoint answered ${response.status}`);
  return body.access_token;
}

/** POST a body to an inline hook as Okta does (JSON, the auth header, an `x-okta-request-id`). */
export async function postInline(
  url: string,
  type: InlineHookType,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${url}/okta/inline/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}
