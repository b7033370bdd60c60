import { describe, expect, it } from 'vitest';
import { parseSince } from '../../cli/eval-from-audit.ts';
import { agreementReport, joinHumanDecisions } from '../../eval/agreement.ts';
import { DEFAULT_POLICY } from '../../lambda/domain/policy-config.ts';
import type { AuditRecord } from '../../lambda/ports.ts';
import { RULES_IDENTITY } from '../../lambda/recommend/rules-recommender.ts';
import { IDS } from '../support/contexts.ts';

/** The join behind `hookpilot eval --from-audit`, on audit records shaped as the pipeline writes them. */

const EVENT = 'e-1';
const at = (m: number) => new Date(Date.UTC(2026, 10, 29, 9, m)).toISOString();
const rec = (recordKey: string, kind: string, detail: Record<string, unknown>, minute = 0): AuditRecord => ({
  correlationId: EVENT,
  recordKey,
  kind,
  at: at(minute),
  actor: 'test',
  summary: kind,
  detail,
});

const recommendation = rec('recommendation', 'recommendation.made', {
  intent: 'security',
  recommender: 'llm',
  model: 'gpt-4.1-mini',
  promptVersion: 'p1',
});
const decision = (actionId: string, type: string, confidence: number, risk = 'low') =>
  rec(`decision:${actionId}`, 'decision.approval', {
    actionId,
    action: { type, params: { userId: IDS.subject } },
    risk,
    confidence,
    mode: 'assisted',
    rule: 'mode-assisted',
  });
const step = (actionId: string, s: 'approved' | 'rejected' | 'expired' | 'requested', minute = 5) =>
  rec(`approval:${actionId}:${s}`, `approval.${s}`, { approvalId: `apr_${actionId}`, actionId }, minute);

describe('joinHumanDecisions', () => {
  it('joins approved, rejected and expired steps to the decision and the recommendation of their event', () => {
    const { decisions, unjoined } = joinHumanDecisions([
      step('a1', 'approved', 6),
      recommendation,
      decision('a1', 'user.clear_sessions', 0.9),
      decision('a2', 'user.expire_password', 0.4),
      step('a2', 'rejected', 7),
      decision('a3', 'user.suspend', 0.7, 'medium'),
      step('a3', 'expired', 8),
      step('a3', 'requested', 1), // not a human decision
    ]);
    expect(unjoined).toEqual([]);
    expect(decisions.map((d) => [d.actionId, d.type, d.verdict, d.confidence, d.model, d.promptVersion])).toEqual([
      ['a1', 'user.clear_sessions', 'approved', 0.9, 'gpt-4.1-mini', 'p1'],
      ['a2', 'user.expire_password', 'rejected', 0.4, 'gpt-4.1-mini', 'p1'],
      ['a3', 'user.suspend', 'expired', 0.7, 'gpt-4.1-mini', 'p1'],
    ]);
    expect(decisions[0]).toMatchObject({ approvalId: 'apr_a1', intent: 'security', recommender: 'llm' });
  });

  it('names the decisions it cannot join, and why', () => {
    const { decisions, unjoined } = joinHumanDecisions([step('a9', 'approved'), recommendation]);
    expect(decisions).toEqual([]);
    expect(unjoined).toEqual([
      {
        correlationId: EVENT,
        recordKey: 'approval:a9:approved',
        why: "no readable decision:a9 record in this event's audit trail",
      },
    ]);
  });
});

describe('agreementReport', () => {
  it('counts agreement per type and confidence, and what would run alone at the policy’s thresholds', () => {
    const read = {
      ...joinHumanDecisions([
        recommendation,
        decision('a1', 'user.clear_sessions', 0.9),
        step('a1', 'approved'),
        decision('a2', 'user.clear_sessions', 0.85),
        step('a2', 'rejected'),
        decision('a3', 'user.clear_sessions', 0.5),
        step('a3', 'approved'),
      ]),
      scanned: 7,
      truncated: false,
    };
    const policy = { ...DEFAULT_POLICY, actions: { 'user.clear_sessions': { minConfidence: 0.8 } } };
    const report = agreementReport(read, { policy, window: { from: at(0), to: at(10) }, source: 'test' });
    expect(report.overall).toMatchObject({ decided: 3, approved: 2, rejected: 1, agreement: 2 / 3 });
    expect(report.autonomous).toEqual({
      approvedWouldAuto: 1,
      rejectedWouldAuto: 1,
      shareOfApproved: 0.5,
      precision: 0.5,
    });
    expect(report.byConfidence.filter((b) => b.count > 0).map((b) => [b.from, b.count, b.observedPrecision])).toEqual([
      [0.5, 1, 1],
      [0.8, 1, 0],
      [0.9, 1, 1],
    ]);
    expect(report.recommenders).toEqual([{ model: 'gpt-4.1-mini', promptVersion: 'p1', count: 3 }]);
  });

  it('identifies the rules recommender by RULES_VERSION', () => {
    const rules = rec('recommendation', 'recommendation.made', { intent: 'security', recommender: 'rules' });
    const read = {
      ...joinHumanDecisions([rules, decision('a1', 'user.clear_sessions', 1), step('a1', 'approved')]),
      scanned: 3,
      truncated: false,
    };
    const report = agreementReport(read, { policy: DEFAULT_POLICY, window: { from: at(0), to: at(10) }, source: 't' });
    expect(report.recommenders).toEqual([{ ...RULES_IDENTITY, count: 1 }]);
  });
});

describe('--since', () => {
  const now = new Date('2026-11-29T12:00:00.000Z');
  it('takes a duration back from now or an ISO time', () => {
    expect(parseSince('7d', now)).toBe('2026-11-22T12:00:00.000Z');
    expect(parseSince('90m', now)).toBe('2026-11-29T10:30:00.000Z');
    expect(parseSince('2026-11-01', now)).toBe('2026-11-01T00:00:00.000Z');
  });
  it('refuses anything else, and the future', () => {
    expect(() => parseSince('last week', now)).toThrow(/expected an ISO-8601 time/);
    expect(() => parseSince('2027-01-01', now)).toThrow(/must not be in the future/);
  });
});
