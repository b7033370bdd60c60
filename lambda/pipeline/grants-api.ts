import { z } from 'zod';
import type { ActionMessage } from '../domain/action-message.ts';
import type { PolicyConfig } from '../domain/policy-config.ts';
import { BadRequestError, MethodNotAllowedError, NotFoundError } from '../errors.ts';
import type { AuditLog, Clock, GrantStore, HttpRequest, HttpResult, MessageQueue } from '../ports.ts';
import type { ApproverPrincipal } from './decide-approval.ts';
import { endGrant } from './grants.ts';

/**
 * The grants routes of the approvals API (same Okta access tokens, same approver check before any route runs):
 * `GET /grants?user=&active=true&limit=` lists time-bound grants newest first; `POST /grants/{id}/end` with
 * `{"reason": "…"}` ends one early (approver rights for the grant's action; not one's own grant).
 */
export interface GrantsApiDeps {
  readonly store: GrantStore;
  readonly actionsQueue: MessageQueue<ActionMessage>;
  readonly audit: AuditLog;
  readonly policy: PolicyConfig;
  readonly clock: Clock;
}

export const isGrantsPath = (path: string): boolean => /^\/grants(\/|$)/.test(path);

const ListQuerySchema = z.strictObject({
  user: z
    .string()
    .regex(/^[A-Za-z0-9]{15,30}$/, 'expected an Okta user id')
    .optional(),
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

const EndBodySchema = z.strictObject({
  reason: z.string().trim().min(1, 'a reason is required to end a grant early').max(2000),
});

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export async function grantsRoute(
  request: HttpRequest,
  principal: ApproverPrincipal,
  deps: GrantsApiDeps,
): Promise<HttpResult> {
  const path = request.path.replace(/\/+$/, '');
  const match = /^\/grants(?:\/([^/]+)\/end)?$/.exec(path);
  if (!match) throw new NotFoundError('no such route');
  const id = request.pathParameters?.id ?? (match[1] ? decode(match[1]) : undefined);
  const want = id === undefined ? 'GET' : 'POST';
  if (request.method !== want) throw new MethodNotAllowedError([want]);
  if (id === undefined) return list(request, deps);
  if (!ID.test(id)) throw new NotFoundError(`no grant ${JSON.stringify(id.slice(0, 140))}`);
  const body = parse(EndBodySchema, parseJson(request.body), 'invalid_body', 'the body');
  const grant = await endGrant(deps, { grantId: id, ender: principal, reason: body.reason });
  return { status: 200, body: { grant: withoutVersion(grant), queued: true } };
}

async function list(request: HttpRequest, deps: GrantsApiDeps): Promise<HttpResult> {
  const q = parse(ListQuerySchema, request.query ?? {}, 'invalid_query', 'the query');
  const grants = await deps.store.list({
    ...(q.user ? { subjectUserId: q.user } : {}),
    activeOnly: q.active === 'true',
    limit: q.limit ?? 50,
  });
  return { status: 200, body: { items: grants.map(withoutVersion) } };
}

/** A stored item as the API shows it: without the optimistic-locking version. */
export function withoutVersion<T extends { readonly version: number }>(item: T): Omit<T, 'version'> {
  const { version: _version, ...rest } = item;
  return rest;
}

function parseJson(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') throw new BadRequestError('the request has no body', 'empty_body');
  try {
    return JSON.parse(body);
  } catch {
    throw new BadRequestError('the body is not JSON', 'invalid_json');
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown, code: string, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.slice(0, 10).map((i) => ({
    path: i.path.join('.') || '(root)',
    message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
  }));
  throw new BadRequestError(
    `${what} is not valid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
    code,
    details,
  );
}

/** A path segment decoded, or as it is when it is not valid percent-encoding (then it matches nothing). */
export function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
