import { randomUUID } from 'node:crypto';
import type { OktaSettings } from '../../lambda/okta/okta-config.ts';
import type { UserStatus } from '../../lambda/ports.ts';
import type { TestSim } from './okta-sim.ts';

/** Okta settings pointing hookpilot's adapter at a test simulator (API token). */
export function simSettings(okta: TestSim, overrides: Partial<OktaSettings> = {}): OktaSettings {
  return {
    orgUrl: okta.sim.orgUrl,
    credentials: async () => ({ kind: 'apiToken', apiToken: okta.sim.token }),
    requestTimeoutMs: 5_000,
    maxRateLimitWaitMs: 0,
    ...overrides,
  };
}

/**
 * A fresh simulated user in the given status, made the way an admin would (create, then lifecycle calls), with a
 * profile of our choosing. Tests get their own users so they never disturb each other.
 */
export async function newUser(
  okta: TestSim,
  status: UserStatus = 'ACTIVE',
  profile: Record<string, string> = {},
): Promise<{ id: string; login: string }> {
  const client = okta.client();
  const tag = randomUUID().slice(0, 8);
  const login = `test.${tag}@acme-demo.example`;
  const withPassword = !['STAGED', 'PROVISIONED'].includes(status);
  const user = await client.userApi.createUser({
    body: {
      profile: {
        firstName: 'Test',
        lastName: tag,
        email: login,
        login,
        department: 'Sales',
        city: 'London',
        ...profile,
      },
      ...(withPassword ? { credentials: { password: { value: `Pw1-${tag}-${tag}!` } } } : {}),
    },
    activate: status !== 'STAGED',
  });
  const id = String(user.id);
  const lifecycle = (operation: string) =>
    fetch(`${okta.sim.orgUrl}/api/v1/users/${id}/lifecycle/${operation}`, {
      method: 'POST',
      headers: { authorization: `SSWS ${okta.sim.token}`, accept: 'application/json' },
    });
  switch (status) {
    case 'SUSPENDED':
      await lifecycle('suspend');
      break;
    case 'DEPROVISIONED':
      await lifecycle('deactivate');
      break;
    case 'PASSWORD_EXPIRED':
      await lifecycle('expire_password');
      break;
    case 'RECOVERY':
      await lifecycle('reset_password?sendEmail=true');
      break;
    case 'LOCKED_OUT':
      okta.sim.failSignIn(id, { count: 10 });
      break;
    default:
      break;
  }
  const actual = okta.sim.state.user(id)?.status;
  if (actual !== status) throw new Error(`could not make a ${status} user (got ${String(actual)})`);
  return { id, login };
}

/** A group's id by its name in the simulated org. */
export function groupNamed(okta: TestSim, name: string): string {
  const group = okta.sim.state.group(name);
  if (!group) throw new Error(`no group ${name}`);
  return String(group.id);
}

/** An app's id by its label in the simulated org. */
export function appLabelled(okta: TestSim, label: string): string {
  const app = okta.sim.state.apps().find((a) => a.label === label);
  if (!app) throw new Error(`no app ${label}`);
  return String(app.id);
}

/** The environment the consumer and executor handlers need to work against a test simulator. */
export function handlerEnv(okta: TestSim, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOOKPILOT_OKTA_ORG_URL: okta.sim.orgUrl,
    HOOKPILOT_OKTA_API_TOKEN: okta.sim.token,
    HOOKPILOT_OKTA_ALLOW_HTTP: 'true',
    HOOKPILOT_OKTA_MAX_RATE_LIMIT_WAIT_MS: '0',
    HOOKPILOT_OKTA_REQUEST_TIMEOUT_MS: '5000',
    ...extra,
  };
}
