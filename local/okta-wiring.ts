import { EVENT_ROUTES, HOUSEKEEPING_ROUTES } from '../lambda/pipeline/event-routes.ts';
import { LocalStackError } from './errors.ts';
import { simApi } from './sim-api.ts';

/**
 * The event types the local stack's hook subscribes to: everything hookpilot routes, plus changes it makes itself, so
 * that the audit trail shows them arriving (and being skipped).
 */
export const LOCAL_HOOK_EVENT_TYPES = [
  ...new Set([
    ...EVENT_ROUTES.filter((r) => !r.eventType.endsWith('.*')).map((r) => r.eventType),
    ...HOUSEKEEPING_ROUTES.map((r) => r.eventType),
    'user.risk.detect',
    'user.risk.change',
    'security.breached_credential.detected',
    'user.lifecycle.reactivate',
    'user.lifecycle.unsuspend',
    'user.account.unlock_by_admin',
    'group.user_membership.remove',
    'application.user_membership.add',
    'application.user_membership.remove',
    'user.session.clear',
  ]),
];

/**
 * Registers an event hook in an Okta org (the simulator) through Okta's own admin API — create, then verify, as an
 * admin would — so the verification handshake reaches hookpilot's receiver like it does in production.
 */
export async function registerEventHook(options: {
  orgUrl: string;
  token: string;
  uri: string;
  secret: string;
  events: readonly string[];
}): Promise<{ id: string }> {
  const api = simApi(options);
  const call = async (path: string, body?: unknown) => {
    try {
      return await api.call<Record<string, unknown>>('POST', path, body);
    } catch (error) {
      throw new LocalStackError(`the Okta simulator refused the event hook: ${(error as Error).message}`);
    }
  };
  const created = await call('/api/v1/eventHooks', {
    name: 'hookpilot (local stack)',
    events: { type: 'EVENT_TYPE', items: options.events },
    channel: {
      type: 'HTTP',
      version: '1.0.0',
      config: {
        uri: options.uri,
        headers: [],
        authScheme: { type: 'HEADER', key: 'Authorization', value: options.secret },
      },
    },
  });
  const id = String(created.id);
  const verified = await call(`/api/v1/eventHooks/${id}/lifecycle/verify`);
  if (verified.verificationStatus !== 'VERIFIED') {
    throw new LocalStackError(`the event hook ${id} was not verified (${String(verified.verificationStatus)})`);
  }
  return { id };
}
