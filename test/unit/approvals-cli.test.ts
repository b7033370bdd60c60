import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApprovalsCliError,
  type ApprovalView,
  parseDuration,
  saveToken,
  showLines,
  TOKEN_ENV,
  tokenFor,
} from '../../cli/approvals-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'hookpilot-approvals-cli-'));
const file = join(dir, 'approver-token.json');
afterEach(() => {
  delete process.env[TOKEN_ENV];
  rmSync(file, { force: true });
});

describe('the approvals CLI’s token', () => {
  const url = 'http://127.0.0.1:8787';
  const stored = (expiresAt: string) =>
    saveToken({ accessToken: 'eyJ.stored.sig', expiresAt, login: 'ivy', userId: '00u1', url, issuer: 'x' }, file);

  it('is --token, else HOOKPILOT_TOKEN, else the stored one for this URL (kept readable by its owner only)', () => {
    stored(new Date(Date.now() + 60_000).toISOString());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(tokenFor(url, undefined, new Date(), file)).toBe('eyJ.stored.sig');
    process.env[TOKEN_ENV] = 'Bearer eyJ.env.sig';
    expect(tokenFor(url, undefined, new Date(), file)).toBe('eyJ.env.sig');
    expect(tokenFor(url, 'eyJ.flag.sig', new Date(), file)).toBe('eyJ.flag.sig');
  });

  it('refuses an expired stored token, and one stored for another URL, saying what to do', () => {
    stored(new Date(Date.now() - 1000).toISOString());
    expect(() => tokenFor(url, undefined, new Date(), file)).toThrow(/expired .*login --as ivy/);
    expect(() => tokenFor('https://deployed.example', undefined, new Date(), file)).toThrow(ApprovalsCliError);
  });
});

describe('the approvals CLI’s output', () => {
  it('parses durations, and refuses what is not one', () => {
    expect([
      parseDuration('90s'),
      parseDuration('30m'),
      parseDuration('8h'),
      parseDuration('2d'),
      parseDuration('60'),
    ]).toEqual([90, 1800, 28800, 172800, 60]);
    expect(() => parseDuration('1w')).toThrow(ApprovalsCliError);
    expect(() => parseDuration('0m')).toThrow(ApprovalsCliError);
  });

  it('shows the action in words, risk, confidence, rationale, evidence and the hash', () => {
    const view: ApprovalView = {
      approval: {
        approvalId: 'apr_1',
        state: 'pending',
        message: { actionId: 'a1', action: { type: 'group.add_member', params: { userId: '00u1', groupId: '00g1' } } },
        risk: 'low',
        confidence: 0.82,
        rationale: '9 of 10 peers hold it',
        evidence: ['peers: 9/10', 'birthright: Sales'],
        rule: 'mode-assisted',
        reason: 'assisted mode',
        correlationId: 'evt-1',
        subjectUserId: '00u1',
        requestedAt: '2026-01-01T00:00:00.000Z',
        requestExpiresAt: '2026-01-04T00:00:00.000Z',
        durationSeconds: 43200,
        decisions: [],
      },
      description: 'add user 00u1 to group 00g1',
      payload: {},
      payloadHash: 'ab'.repeat(32),
      expired: false,
      stillRequired: { text: 'one more approver from it-approvers', slots: [['it-approvers']] },
      caller: { userId: '00u2', login: 'ivy', mayApprove: true, mayReject: true },
    };
    const text = showLines(view).join('\n');
    for (const part of [
      'add user 00u1 to group 00g1',
      'risk       low',
      '0.82',
      '9 of 10 peers',
      '- birthright: Sales',
      'ab'.repeat(32),
      '12h requested',
      'may approve',
    ]) {
      expect(text).toContain(part);
    }
  });
});
