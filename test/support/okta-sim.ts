import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { Client, DefaultRequestExecutor, OktaApiError } from '@okta/okta-sdk-nodejs';
import { afterAll, beforeAll, expect } from 'vitest';
import { type OktaSim, type OktaSimOptions, startOktaSim } from '../../local/okta-sim/index.ts';

/**
 * The Okta org simulator for tests: `startTestSim()` starts one (seeded with `local/okta-sim/seed-org.json` unless told
 * otherwise) with fast event hook timings and response validation on, and hands out `@okta/okta-sdk-nodejs` clients
 * pointed at it. Stop it in `afterAll` — or let `useTestSim()` start and stop one for the whole test file.
 *
 * ```ts
 * const okta = useTestSim();                          // at the top of a test file
 * const okta = await startTestSim();                  // or by hand, e.g. a second simulator inside one test
 * const client = okta.client();                       // SSWS
 * const { client: app } = okta.oauthClient(['okta.users.read']); // OAuth 2.0 service app (private_key_jwt)
 * ```
 */

export interface TestClientOptions {
  /** `DefaultRequestExecutor` total time budget in ms (0 = none). */
  requestTimeout?: number;
  /** 429 retries (0 disables them). */
  maxRetries?: number;
  /** Use this token instead of the simulator's. */
  token?: string;
}

export interface TestSim {
  sim: OktaSim;
  /** An SDK client using the SSWS API token, with the response cache off (as hookpilot runs it). */
  client(options?: TestClientOptions): Client;
  /**
   * Registers a service app granted `scopes` (an RSA key pair made here) and returns an SDK client in
   * `authorizationMode: 'PrivateKey'`, asking for `requestScopes` (default: all of `scopes`).
   */
  oauthClient(
    scopes: readonly string[],
    options?: TestClientOptions & { requestScopes?: readonly string[] },
  ): { client: Client; clientId: string; privateKeyPem: string; publicJwk: JsonWebKey };
  /** A record of the seed the simulator started with, by login or name (a missing one is an error naming it). */
  seedUser(login: string): OktaSim['seed']['users'][number];
  seedGroup(name: string): OktaSim['seed']['groups'][number];
  seedApp(name: string): OktaSim['seed']['apps'][number];
  stop(): Promise<void>;
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what} in the seed`);
  return value;
}

/** Event hook timings that keep tests fast (Okta's own: 3 s timeout). */
export const FAST_HOOKS = { timeoutMs: 400, batchWindowMs: 30, retryDelayMs: 20 } as const;

export async function startTestSim(options: OktaSimOptions = {}): Promise<TestSim> {
  const sim = await startOktaSim({
    validateResponses: true,
    ...options,
    hooks: { ...FAST_HOOKS, ...options.hooks },
  });
  const executor = (o: TestClientOptions) =>
    new DefaultRequestExecutor({ maxRetries: o.maxRetries ?? 2, requestTimeout: o.requestTimeout ?? 0 });
  let apps = 0;
  return {
    sim,
    client: (o = {}) =>
      new Client({
        orgUrl: sim.orgUrl,
        token: o.token ?? sim.token,
        cacheMiddleware: null,
        requestExecutor: executor(o),
      }),
    oauthClient: (scopes, o = {}) => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const kid = `test-key-${++apps}`;
      const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid };
      const clientId = sim.oauth.registerServiceApp({ name: `Test service app ${apps}`, scopes, jwks: [publicJwk] });
      const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const client = new Client({
        orgUrl: sim.orgUrl,
        authorizationMode: 'PrivateKey',
        clientId,
        scopes: [...(o.requestScopes ?? scopes)],
        privateKey: privateKeyPem,
        keyId: kid,
        cacheMiddleware: null,
        requestExecutor: executor(o),
      });
      return { client, clientId, privateKeyPem, publicJwk };
    },
    seedUser: (login) =>
      found(
        sim.seed.users.find((u) => u.profile.login === login),
        `user ${login}`,
      ),
    seedGroup: (name) =>
      found(
        sim.seed.groups.find((g) => g.profile.name === name),
        `group ${name}`,
      ),
    seedApp: (name) =>
      found(
        sim.seed.apps.find((a) => a.name === name),
        `app ${name}`,
      ),
    stop: () => sim.stop(),
  };
}

/**
 * One simulator for the whole test file: started in `beforeAll`, and in `afterAll` checked to have sent nothing that
 * breaks Okta's schemas (`checkResponses: false` skips that) and stopped. The returned object is usable from the tests
 * and later hooks (before the simulator has started, using it is an error that says so).
 */
export function useTestSim(options: OktaSimOptions = {}, { checkResponses = true } = {}): TestSim {
  let started: TestSim | undefined;
  beforeAll(async () => {
    started = await startTestSim(options);
  });
  afterAll(async () => {
    if (!started) return;
    if (checkResponses) expect(started.sim.schemaViolations()).toEqual([]);
    await started.stop();
  });
  const current = (): TestSim => {
    if (!started) throw new Error('useTestSim: the simulator starts in beforeAll; use it inside a hook or a test');
    return started;
  };
  return {
    get sim() {
      return current().sim;
    },
    client: (o) => current().client(o),
    oauthClient: (scopes, o) => current().oauthClient(scopes, o),
    seedUser: (login) => current().seedUser(login),
    seedGroup: (name) => current().seedGroup(name),
    seedApp: (name) => current().seedApp(name),
    stop: () => current().stop(),
  };
}

/** Collects an SDK collection (the SDK yields `null` for an empty page; those are skipped). */
export async function collect<T>(collection: AsyncIterable<T | null> | Promise<AsyncIterable<T | null>>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of await collection) if (item !== null) out.push(item);
  return out;
}

export interface RawResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A raw HTTP call to the simulator (SSWS token unless `token` is given; `null` sends no Authorization header). */
export async function call<T = unknown>(
  sim: OktaSim,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<RawResponse<T>> {
  const token = options.token === undefined ? sim.token : options.token;
  const response = await fetch(`${sim.orgUrl}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token !== null ? { Authorization: `SSWS ${token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** The `OktaApiError` a call rejects with (fails the test if it resolves or rejects with something else). */
export async function oktaError(promise: Promise<unknown>): Promise<OktaApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OktaApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail with an OktaApiError, but it succeeded');
}
