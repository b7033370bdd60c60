import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APPROVAL_STEPS,
  type ApprovalRecord,
  type ApprovalStep,
  nextDueAt,
  nextRecord,
} from '../../lambda/domain/approval.ts';
import {
  APPROVAL_DATA_SCHEMAS,
  approvalEvent,
  approvalEventSource,
  dataSchemaUri,
  parseApprovalCloudEvent,
  toCloudEvent,
} from '../../lambda/domain/approval-events.ts';
import { approvalSchemaFiles, SCHEMA_DIR } from '../../scripts/approval-schemas.ts';
import { newRequest } from '../support/approvals.ts';
import { validateApprovalMessage } from '../support/json-schema.ts';

const T0 = new Date('2026-11-29T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000).toISOString();
const decision = (outcome: 'approve' | 'reject', record: ApprovalRecord, minutes: number) => ({
  outcome,
  approverId: '00uapprover',
  approverLogin: 'ana@example.com',
  qualifyingGroups: ['it-approvers'],
  payloadHash: record.payloadHash,
  ...(outcome === 'reject' ? { reason: 'not needed' } : {}),
  at: at(minutes),
});

/** A request as it is right after each step. */
function recordAfter(step: ApprovalStep): ApprovalRecord {
  const r = newRequest(T0);
  const approved = () => nextRecord(r, { state: 'approved', decidedAt: at(5), decisions: [decision('approve', r, 5)] });
  switch (step) {
    case 'requested':
      return r;
    case 'reminded':
      return nextRecord(r, { remindedAt: at(60) });
    case 'escalated':
      return nextRecord(r, {
        escalatedAt: at(90),
        escalationGroup: 'security-oncall',
        required: { ...r.required, escalationGroups: ['security-oncall'] },
      });
    case 'approved':
      return approved();
    case 'rejected':
      return nextRecord(r, { state: 'rejected', decidedAt: at(5), decisions: [decision('reject', r, 5)] });
    case 'expired':
      return nextRecord(r, { state: 'expired', decidedAt: r.requestExpiresAt });
    case 'cancelled':
      return nextRecord(r, { state: 'cancelled', decidedAt: at(5), outcome: { detail: 'the user left' } });
    case 'executed':
      return nextRecord(approved(), { state: 'executed', completedAt: at(6), outcome: { oktaRequestId: 'req-1' } });
    case 'voided':
      return nextRecord(approved(), { state: 'voided', completedAt: at(6), outcome: { detail: 'user suspended' } });
    case 'failed':
      return nextRecord(approved(), { state: 'failed', completedAt: at(6), outcome: { detail: 'Okta said no' } });
    case 'ended': {
      const executed = nextRecord(approved(), { state: 'executed', completedAt: at(6) });
      return nextRecord(executed, { grantEnded: { grantId: r.message.actionId, at: at(600), how: 'expired' } });
    }
  }
}

describe('schemas/approval/v1', () => {
  it('holds exactly the generated schemas (run npm run schemas after changing the contract)', () => {
    const files = approvalSchemaFiles();
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) {
      expect(readFileSync(join(SCHEMA_DIR, name), 'utf8'), `${name} is stale`).toBe(text);
    }
  });

  it.each(APPROVAL_STEPS)('a %s message validates against the published JSON Schema (Ajv)', (step) => {
    const event = approvalEvent(step, recordAfter(step));
    const message = toCloudEvent(event, approvalEventSource('HookpilotStack'));
    expect(validateApprovalMessage(JSON.parse(JSON.stringify(message)))).toEqual([]);
    expect(parseApprovalCloudEvent(message)).toMatchObject({ success: true, step });
    expect(message).toMatchObject({
      specversion: '1.0',
      id: `${event.approvalId}:${step}:${recordAfter(step).version}`,
      source: 'hookpilot://HookpilotStack/approvals',
      type: `dev.hookpilot.approval.${step}`,
      subject: event.approvalId,
      datacontenttype: 'application/json',
      dataschema: dataSchemaUri(step),
      data: { schemaVersion: 1, approvalId: event.approvalId, state: recordAfter(step).state },
    });
    expect(new Date(message.time).toISOString()).toBe(message.time);
  });

  it('refuses messages off the contract, naming what is wrong', () => {
    const message = toCloudEvent(approvalEvent('requested', recordAfter('requested')), 'hookpilot://x/approvals');
    const { approvalId: _dropped, ...withoutId } = message.data;
    expect(validateApprovalMessage({ ...message, data: withoutId }).join()).toMatch(/approvalId/);
    expect(validateApprovalMessage({ ...message, specversion: '0.3' }).join()).toMatch(/specversion/);
    expect(parseApprovalCloudEvent({ ...message, type: 'dev.hookpilot.approval.unknown' })).toMatchObject({
      success: false,
    });
    // Additive changes within v1 keep validating: an unknown field is allowed.
    expect(validateApprovalMessage({ ...message, data: { ...message.data, addedLater: true } })).toEqual([]);
  });

  it('builds no event the schema would refuse', () => {
    const r = recordAfter('requested');
    expect(() => approvalEvent('rejected', nextRecord(r, { state: 'rejected', decidedAt: at(1) }))).toThrow(
      /rejecting decision/,
    );
    expect(() => approvalEvent('requested', { ...r, risk: 'extreme' })).toThrow();
    expect(Object.keys(APPROVAL_DATA_SCHEMAS).sort()).toEqual([...APPROVAL_STEPS].sort());
  });

  it('names the deployment in a valid source, and refuses a name that is not a URI host', () => {
    expect(approvalEventSource('local')).toBe('hookpilot://local/approvals');
    expect(() => approvalEventSource('a/b')).toThrow(/letters, digits and hyphens/);
  });
});

describe('the sweeper’s due time', () => {
  it('is the earliest of reminder, escalation and expiry still to come, and none once decided', () => {
    const r = { ...newRequest(T0), escalateAt: at(100), escalationGroup: 'oncall', remindAt: at(50) };
    expect(nextDueAt(r)).toBe(at(50));
    expect(nextDueAt({ ...r, remindedAt: at(50) })).toBe(at(100));
    expect(nextDueAt({ ...r, remindedAt: at(50), escalatedAt: at(100) })).toBe(r.requestExpiresAt);
    expect(nextDueAt({ ...r, state: 'approved' })).toBeUndefined();
  });
});
