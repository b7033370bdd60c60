import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, startOktaSim } from '../../local/okta-sim/index.ts';
import { type OpenAiStub, startOpenAiStub } from '../../local/openai-stub/index.ts';

/**
 * The control endpoints of the OpenAI stub (`/__stub/…`) and the Okta simulator (`/__sim/…`) change how the local
 * services behave, so no web page the developer happens to open may reach them: a cross-site form post, a `no-cors`
 * fetch or a DNS-rebound name is refused, and nothing changes. Sent over real HTTP with raw headers (fetch cannot set
 * `Host`), as a browser would send them.
 */

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

function send(base: string, path: string, sent: Sent = {}): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: sent.method ?? 'GET', headers: sent.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(sent.body);
  });
}

const compromise = JSON.stringify({ mode: 'compromised' });

describe('the OpenAI stub’s control endpoints', () => {
  let stub: OpenAiStub;
  beforeAll(async () => {
    stub = await startOpenAiStub();
  });
  afterAll(async () => {
    await stub?.stop();
  });

  const standing = () => stub.state().standing;

  it('refuse a cross-site form post whose text/plain body is JSON (the attack), and stay in their mode', async () => {
    for (const type of [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await send(stub.url, '/__stub/mode', {
        method: 'POST',
        headers: { 'content-type': type },
        body: compromise,
      });
      expect(response, type).toEqual({
        status: 415,
        body: {
          error: {
            message: 'control endpoints accept only content-type: application/json',
            type: 'invalid_request_error',
            param: null,
            code: 'unsupported_media_type',
          },
        },
      });
    }
    const untyped = await send(stub.url, '/__stub/mode', { method: 'POST', body: compromise });
    expect(untyped.status).toBe(415);
    expect(standing()).toBe('normal');
  });

  it('refuse another origin, a cross-site fetch and a DNS-rebound host name, even with application/json', async () => {
    const json = { 'content-type': 'application/json' };
    const attempts: Record<string, string>[] = [
      { ...json, origin: 'http://evil.example' },
      { ...json, origin: 'null' },
      { ...json, origin: `http://127.0.0.1:${stub.port + 1}` },
      { ...json, 'sec-fetch-site': 'cross-site' },
      { ...json, 'sec-fetch-site': 'same-site' },
      { ...json, host: `rebound.evil.example:${stub.port}` },
    ];
    for (const headers of attempts) {
      const response = await send(stub.url, '/__stub/mode', { method: 'POST', headers, body: compromise });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect((response.body as { error: { code: string } }).error.code).toBe('cross_origin_refused');
    }
    // reading is refused too (the recorded requests may hold prompts)
    const read = await send(stub.url, '/__stub/requests', { headers: { origin: 'http://evil.example' } });
    expect(read.status).toBe(403);
    expect(standing()).toBe('normal');
  });

  it('still serve the developer: JSON from curl, the SDK or its own page, and a body-less reset', async () => {
    const own = await send(stub.url, '/__stub/mode', {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        origin: stub.url,
        'sec-fetch-site': 'same-origin',
      },
      body: JSON.stringify({ mode: 'refusal' }),
    });
    expect(own.status).toBe(200);
    expect(standing()).toBe('refusal');
    const viaLocalhost = await send(stub.url, '/__stub/mode', { headers: { host: `localhost:${stub.port}` } });
    expect(viaLocalhost.status).toBe(200);
    expect((await send(stub.url, '/__stub/reset', { method: 'POST' })).status).toBe(200);
    expect(standing()).toBe('normal');
  });

  it('leave the OpenAI-compatible API alone (the SDK’s own requests are not control requests)', async () => {
    const response = await send(stub.url, '/v1/models', {
      headers: { authorization: 'Bearer sk-test', origin: 'http://evil.example' },
    });
    expect(response.status).toBe(200);
  });
});

describe('the Okta simulator’s control API', () => {
  let sim: OktaSim;
  beforeAll(async () => {
    sim = await startOktaSim({ token: 'control-endpoints-test-token' });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const auth = () => ({ authorization: `SSWS ${sim.token}` });
  const event = JSON.stringify({ eventType: 'user.risk.detect', displayMessage: 'from a web page' });
  const appended = () => sim.logs.find({ eventType: 'user.risk.detect' }).length;

  it('refuses a text/plain or form-encoded body, cross-origin requests and a rebound host, appending nothing', async () => {
    const before = appended();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await send(sim.orgUrl, '/__sim/events', {
        method: 'POST',
        headers: { ...auth(), 'content-type': type },
        body: event,
      });
      expect(response.status, type).toBe(415);
      expect(response.body).toMatchObject({
        errorCode: 'E0000003',
        errorCauses: [{ errorSummary: 'control endpoints accept only content-type: application/json' }],
      });
    }
    const attempts: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { host: `rebound.evil.example:${sim.port}` },
    ];
    for (const extra of attempts) {
      const response = await send(sim.orgUrl, '/__sim/events', {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json', ...extra },
        body: event,
      });
      expect(response.status, JSON.stringify(extra)).toBe(403);
      expect(response.body).toMatchObject({ errorCode: 'E0000006' });
    }
    expect(appended()).toBe(before);
  });

  it('serves JSON from the same origin, and body-less requests (flush, delete) as before', async () => {
    const before = appended();
    const created = await send(sim.orgUrl, '/__sim/events', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', origin: sim.orgUrl },
      body: event,
    });
    expect(created.status).toBe(201);
    expect(appended()).toBe(before + 1);
    expect((await send(sim.orgUrl, '/__sim/hooks/flush', { method: 'POST', headers: auth() })).status).toBe(200);
    expect((await send(sim.orgUrl, '/__sim/faults', { method: 'DELETE', headers: auth() })).status).toBe(204);
  });
});
