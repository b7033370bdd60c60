import type { IncomingHttpHeaders } from 'node:http';
import type { ZodType } from 'zod';
import type { Bucket } from './rate-limits.ts';
import type { LogContext } from './system-log.ts';

/** Who is calling: the SSWS API token, or an OAuth 2.0 service app with the scopes of its access token. */
export type Principal =
  | { kind: 'ssws'; tokenId: string }
  | { kind: 'oauth'; clientId: string; appName: string; scopes: readonly string[] };

export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  rawBody: string;
  headers: IncomingHttpHeaders;
  /** The org URL (`http://127.0.0.1:<port>`), for links. */
  base: string;
  ctx: LogContext;
  principal?: Principal;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /** `html`: the body is a page (a string), sent as `text/html` and not schema-checked. Default JSON. */
  contentType?: 'html';
  /** Response body schema to check when the simulator validates its own responses. */
  schema?: ZodType;
}

export interface Route {
  method: string;
  pattern: string;
  /** Rate-limit bucket. */
  bucket: Bucket;
  /** OAuth 2.0 scope required for Bearer tokens (`*.manage` also grants `*.read`); absent = no authentication. */
  scope?: string;
  handler: (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;
}

interface Compiled extends Route {
  segments: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(route: Route): void {
    this.routes.push({ ...route, segments: route.pattern.split('/').filter(Boolean) });
  }

  /** The route for a method and path, its path parameters (URL-decoded), or whether only the method is wrong. */
  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | { route?: undefined; methodMismatch: boolean } {
    const parts = path.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      methodMismatch = true;
    }
    return { methodMismatch };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? '';
    const part = parts[i] ?? '';
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (p !== part) {
      return undefined;
    }
  }
  return params;
}
