import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackSignature } from '../../lambda/notify/slack/signature.ts';

// Slack's own worked example ("Verifying requests from Slack"): this secret, timestamp and body give this signature.
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const at = (seconds: number) => new Date(seconds * 1000);

describe("Slack's v0 request signature", () => {
  it("matches Slack's documented example", () => {
    expect(slackSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(
      verifySlackSignature({
        secrets: [DOC_SECRET],
        signature: DOC_SIGNATURE,
        timestamp: DOC_TIMESTAMP,
        body: DOC_BODY,
        now: at(Number(DOC_TIMESTAMP) + 10),
      }),
    ).toEqual({ ok: true });
  });

  it('is HMAC-SHA256 of v0:<timestamp>:<body>, hex', () => {
    const expected = createHmac('sha256', 'secret').update('v0:1700000000:a=b').digest('hex');
    expect(slackSignature('secret', 1700000000, 'a=b')).toBe(`v0=${expected}`);
  });

  const now = at(1_800_000_000);
  const ts = String(1_800_000_000 - 5);
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
  const good = slackSignature('current', ts, body);
  const check = (over: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
    verifySlackSignature({ secrets: ['current'], signature: good, timestamp: ts, body, now, ...over });

  it('accepts a valid signature, also with an older secret still in the rotation list, and over a Buffer body', () => {
    expect(check({})).toEqual({ ok: true });
    expect(check({ secrets: ['newer', 'current'] })).toEqual({ ok: true });
    expect(check({ body: Buffer.from(body) })).toEqual({ ok: true });
  });

  it('refuses the wrong secret, a tampered body, a stale or future timestamp, missing headers', () => {
    expect(check({ secrets: ['wrong'] })).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(check({ body: `${body}x` })).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(check({ signature: good.toUpperCase() })).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(check({ signature: 'v0=abc' })).toMatchObject({ ok: false, reason: 'bad_signature' });
    // Five minutes is the window: 301 s either way is refused, even with a matching signature for that time.
    const old = String(1_800_000_000 - 301);
    expect(check({ timestamp: old, signature: slackSignature('current', old, body) })).toMatchObject({
      ok: false,
      reason: 'stale_timestamp',
    });
    const future = String(1_800_000_000 + 301);
    expect(check({ timestamp: future, signature: slackSignature('current', future, body) })).toMatchObject({
      ok: false,
      reason: 'stale_timestamp',
    });
    const edge = String(1_800_000_000 - 300);
    expect(check({ timestamp: edge, signature: slackSignature('current', edge, body) })).toEqual({ ok: true });
    expect(check({ signature: undefined })).toMatchObject({ ok: false, reason: 'missing_signature' });
    expect(check({ timestamp: undefined })).toMatchObject({ ok: false, reason: 'missing_timestamp' });
    expect(check({ timestamp: '1e9' })).toMatchObject({ ok: false, reason: 'bad_timestamp' });
  });
});
