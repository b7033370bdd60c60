import { z } from 'zod';
import type { ApprovalEvent } from '../ports.ts';
import {
  APPROVAL_STATES,
  APPROVAL_STEPS,
  type ApprovalRecord,
  type ApprovalStep,
  approvalEventType,
} from './approval.ts';

/**
 * The approval queue's public contract, version 1: every lifecycle step of an approval request as a CloudEvents 1.0
 * JSON envelope (structured mode) whose `data` is described by one schema per step. `schemas/approval/v1/*.json` are
 * generated from these zod schemas (`npm run schemas`; a test fails when they are stale), and
 * `docs/approval-queue.md` documents them.
 *
 * Compatibility promise: within a major version only additive changes (a new optional field, a new step). A consumer
 * must ignore fields it does not know. A breaking change is a new major version: a new `schemas/approval/v2/` folder
 * and type suffix (`dev.hookpilot.approval.requested.v2`), announced, with v1 published alongside for a while.
 */
export const APPROVAL_SCHEMA_VERSION = 1;

/** The schema that `data` of a step adheres to (the CloudEvent `dataschema`, and the `$id` of the generated file). */
export const dataSchemaUri = (step: ApprovalStep): string => `urn:hookpilot:schema:approval:v1:${step}`;
export const ENVELOPE_SCHEMA_URI = 'urn:hookpilot:schema:approval:v1:envelope';

/** The CloudEvent `source`: which hookpilot deployment published it (its stack name in AWS, `local` locally). */
export function approvalEventSource(instance: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/.test(instance)) {
    throw new Error(`the instance name must be letters, digits and hyphens (got "${instance}")`);
  }
  return `hookpilot://${instance}/approvals`;
}

const Time = z.string().describe('RFC 3339 time, UTC');

const Approver = z.object({
  approverId: z.string().describe("the approver's Okta user id"),
  approverLogin: z.string().describe("the approver's Okta login"),
  qualifyingGroups: z.array(z.string()).describe('the approver groups that allowed them to decide'),
  reason: z.string().optional(),
  at: Time,
});

/** What every step's `data` carries: enough to act on one message without reading another. */
const Base = z.object({
  schemaVersion: z.literal(APPROVAL_SCHEMA_VERSION),
  approvalId: z.string().describe('the approval request (also the CloudEvent subject)'),
  state: z.enum(APPROVAL_STATES).describe("the request's state after this step"),
  sequence: z
    .number()
    .int()
    .min(0)
    .describe(
      "the request's version after this step (0 when requested): events of one request are ordered by it (SQS does not keep order)",
    ),
  actionId: z.string().describe('the action the request is about (the executor runs it at most once)'),
  action: z.object({ type: z.string(), params: z.record(z.string(), z.unknown()) }),
  risk: z.enum(['low', 'medium', 'high', 'critical']),
  subjectUserId: z.string().optional().describe('the Okta user the action concerns'),
  correlationId: z.string().describe('the originating Okta event uuid (audit trail correlation)'),
  requestedAt: Time,
  requestExpiresAt: Time,
  payloadHash: z.string().describe('SHA-256 (hex) of the canonical action payload an approver binds a decision to'),
});

const Requirement = z.object({
  approvals: z.number().int().min(1).describe('distinct approvers needed'),
  groupSlots: z
    .array(z.array(z.string()))
    .describe('each approval fills a distinct slot, held by a member of any of its groups; empty: any approver group'),
  reasonToApprove: z.boolean(),
  escalationGroups: z.array(z.string()).optional(),
});

export const APPROVAL_DATA_SCHEMAS = {
  requested: Base.extend({
    confidence: z.number().min(0).max(1).describe("the recommender's stated confidence"),
    calibratedConfidence: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('the confidence the policy compared with its thresholds, when a calibration applied'),
    calibrationNote: z
      .string()
      .optional()
      .describe('what calibration did (applied, or why not), when one is configured'),
    rationale: z.string(),
    evidence: z.array(z.string()),
    rule: z.string().describe('the policy rule that asked for a human'),
    reason: z.string(),
    eventType: z.string().optional(),
    recommendationId: z.string().optional(),
    durationSeconds: z.number().int().positive().optional().describe('time-bound actions: the duration asked for'),
    required: Requirement,
    remindAt: Time.optional(),
    escalateAt: Time.optional(),
  }).meta({ title: 'dev.hookpilot.approval.requested', description: 'A human is asked to decide on an action.' }),
  reminded: Base.extend({
    remindedAt: Time,
    approvalsMissing: z.number().int().min(0),
  }).meta({ title: 'dev.hookpilot.approval.reminded', description: 'The one reminder: the request is still pending.' }),
  escalated: Base.extend({
    escalatedAt: Time,
    escalationGroup: z.string(),
    required: Requirement,
  }).meta({
    title: 'dev.hookpilot.approval.escalated',
    description: 'The request is still pending and the fallback approver group may now decide too.',
  }),
  approved: Base.extend({
    decidedAt: Time,
    approvers: z.array(Approver),
    grantedDurationSeconds: z.number().int().positive().optional(),
  }).meta({
    title: 'dev.hookpilot.approval.approved',
    description: 'Enough approvers approved; the action is queued for the executor.',
  }),
  rejected: Base.extend({
    decidedAt: Time,
    rejectedBy: Approver,
  }).meta({ title: 'dev.hookpilot.approval.rejected', description: 'An approver rejected it; nothing runs.' }),
  expired: Base.extend({
    expiredAt: Time,
    approvalsReceived: z.number().int().min(0),
  }).meta({
    title: 'dev.hookpilot.approval.expired',
    description: 'Nobody decided in time; the request can never run.',
  }),
  cancelled: Base.extend({
    cancelledAt: Time,
    reason: z.string(),
  }).meta({ title: 'dev.hookpilot.approval.cancelled', description: 'The request was withdrawn; nothing runs.' }),
  executed: Base.extend({
    completedAt: Time,
    oktaRequestId: z.string().optional().describe("Okta's X-Okta-Request-Id of the change"),
    detail: z.string().optional(),
  }).meta({
    title: 'dev.hookpilot.approval.executed',
    description: 'The executor carried the approved action out (or found it already done).',
  }),
  voided: Base.extend({
    completedAt: Time,
    reason: z.string(),
  }).meta({
    title: 'dev.hookpilot.approval.voided',
    description: 'The executor did not act: what the decision rested on no longer holds.',
  }),
  failed: Base.extend({
    completedAt: Time,
    reason: z.string(),
  }).meta({ title: 'dev.hookpilot.approval.failed', description: 'The executor tried and Okta refused or failed.' }),
  ended: Base.extend({
    grantId: z.string().describe('the time-bound grant the executed action made (its action id)'),
    endedAt: Time,
    how: z.enum(['expired', 'ended-early']).describe('at its expiry, or ended early by an approver'),
    endedBy: z.string().optional().describe('the Okta user id of the approver who ended it early'),
    reason: z.string().optional(),
  }).meta({
    title: 'dev.hookpilot.approval.ended',
    description: 'The time-bound access the approved action granted has ended: its inverse ran (or found it undone).',
  }),
} as const satisfies Record<ApprovalStep, z.ZodObject>;

export type ApprovalEventData<S extends ApprovalStep> = z.infer<(typeof APPROVAL_DATA_SCHEMAS)[S]>;

/** The CloudEvents 1.0 attributes hookpilot sets on every message (structured mode: the whole envelope is the body). */
export const ApprovalEnvelopeSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1).describe('stable per step: consumers deduplicate on it'),
    source: z.string().min(1).describe('hookpilot://<deployment>/approvals'),
    // A pattern, not an enum: a new step within v1 is an additive change, and consumers ignore types they do not know.
    type: z
      .string()
      .regex(/^dev\.hookpilot\.approval\.[a-z]+$/)
      .describe('dev.hookpilot.approval.<step>'),
    time: Time,
    subject: z.string().min(1).describe('the approval id'),
    datacontenttype: z.literal('application/json'),
    dataschema: z.string().describe('urn:hookpilot:schema:approval:v1:<step> (schemas/approval/v1/<step>.json)'),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ title: 'hookpilot approval queue message (CloudEvents 1.0, structured JSON)' });
export type ApprovalCloudEvent = z.infer<typeof ApprovalEnvelopeSchema>;

/** Parses a message from the approval queue: the envelope, then its `data` against its step's schema. */
export function parseApprovalCloudEvent(
  json: unknown,
): { success: true; step: ApprovalStep; event: ApprovalCloudEvent } | { success: false; error: string } {
  const envelope = ApprovalEnvelopeSchema.safeParse(json);
  if (!envelope.success) return { success: false, error: z.prettifyError(envelope.error) };
  const step = envelope.data.type.slice('dev.hookpilot.approval.'.length) as ApprovalStep;
  if (!(APPROVAL_STEPS as readonly string[]).includes(step))
    return { success: false, error: `unknown type ${envelope.data.type}` };
  if (envelope.data.dataschema !== dataSchemaUri(step)) return { success: false, error: 'dataschema does not match' };
  const data = APPROVAL_DATA_SCHEMAS[step].safeParse(envelope.data.data);
  if (!data.success) return { success: false, error: z.prettifyError(data.error) };
  return { success: true, step, event: envelope.data };
}

/** The stable id of a step's event: one state change of one request is one version, so the id never repeats. */
export const approvalEventId = (approvalId: string, step: ApprovalStep, version: number): string =>
  `${approvalId}:${step}:${version}`;

const approverOf = (d: ApprovalRecord['decisions'][number]) => ({
  approverId: d.approverId,
  approverLogin: d.approverLogin,
  qualifyingGroups: d.qualifyingGroups,
  ...(d.reason ? { reason: d.reason } : {}),
  at: d.at,
});

/**
 * The outbox event of one step, built from the request as it is AFTER the step (`record.version` is the new version).
 * `at` is when the step happened (defaults to the record's own time for it). Throws if the record lacks what the step
 * needs, and validates `data` against the step's schema, so nothing off-contract is ever stored or published.
 */
export function approvalEvent(
  step: ApprovalStep,
  record: ApprovalRecord,
  options: { at?: string; reason?: string } = {},
): ApprovalEvent {
  const r = record;
  const at =
    options.at ??
    {
      requested: r.requestedAt,
      reminded: r.remindedAt,
      escalated: r.escalatedAt,
      approved: r.decidedAt,
      rejected: r.decidedAt,
      expired: r.decidedAt,
      cancelled: r.decidedAt,
      executed: r.completedAt,
      voided: r.completedAt,
      failed: r.completedAt,
      ended: r.grantEnded?.at,
    }[step];
  if (!at) throw new Error(`approval ${r.approvalId}: no time for the ${step} event`);
  const base = {
    schemaVersion: APPROVAL_SCHEMA_VERSION,
    approvalId: r.approvalId,
    state: r.state,
    sequence: r.version,
    actionId: r.message.actionId,
    action: r.message.action,
    risk: r.risk,
    ...(r.subjectUserId ? { subjectUserId: r.subjectUserId } : {}),
    correlationId: r.correlationId,
    requestedAt: r.requestedAt,
    requestExpiresAt: r.requestExpiresAt,
    payloadHash: r.payloadHash,
  };
  const approvals = r.decisions.filter((d) => d.outcome === 'approve');
  const reason = options.reason ?? r.outcome?.detail ?? '';
  const extra: Record<ApprovalStep, () => Record<string, unknown>> = {
    requested: () => ({
      confidence: r.confidence,
      ...(r.calibratedConfidence !== undefined ? { calibratedConfidence: r.calibratedConfidence } : {}),
      ...(r.calibrationNote ? { calibrationNote: r.calibrationNote } : {}),
      rationale: r.rationale,
      evidence: r.evidence,
      rule: r.rule,
      reason: r.reason,
      ...(r.eventType ? { eventType: r.eventType } : {}),
      ...(r.recommendationId ? { recommendationId: r.recommendationId } : {}),
      ...(r.durationSeconds ? { durationSeconds: r.durationSeconds } : {}),
      required: r.required,
      ...(r.remindAt ? { remindAt: r.remindAt } : {}),
      ...(r.escalateAt ? { escalateAt: r.escalateAt } : {}),
    }),
    reminded: () => ({ remindedAt: at, approvalsMissing: Math.max(0, r.required.approvals - approvals.length) }),
    escalated: () => ({ escalatedAt: at, escalationGroup: r.escalationGroup ?? '', required: r.required }),
    approved: () => ({
      decidedAt: at,
      approvers: approvals.map(approverOf),
      ...(r.grantedDurationSeconds ? { grantedDurationSeconds: r.grantedDurationSeconds } : {}),
    }),
    rejected: () => {
      const rejection = r.decisions.findLast((d) => d.outcome === 'reject');
      if (!rejection) throw new Error(`approval ${r.approvalId}: rejected without a rejecting decision`);
      return { decidedAt: at, rejectedBy: approverOf(rejection) };
    },
    expired: () => ({ expiredAt: at, approvalsReceived: approvals.length }),
    cancelled: () => ({ cancelledAt: at, reason: reason || 'cancelled' }),
    executed: () => ({
      completedAt: at,
      ...(r.outcome?.oktaRequestId ? { oktaRequestId: r.outcome.oktaRequestId } : {}),
      ...(r.outcome?.detail ? { detail: r.outcome.detail } : {}),
    }),
    voided: () => ({ completedAt: at, reason: reason || 'voided' }),
    failed: () => ({ completedAt: at, reason: reason || 'failed' }),
    ended: () => {
      if (!r.grantEnded) throw new Error(`approval ${r.approvalId}: ended without a grant end`);
      const g = r.grantEnded;
      return {
        grantId: g.grantId,
        endedAt: at,
        how: g.how,
        ...(g.endedBy ? { endedBy: g.endedBy } : {}),
        ...(g.reason ? { reason: g.reason } : {}),
      };
    },
  };
  const data = APPROVAL_DATA_SCHEMAS[step].parse({ ...base, ...extra[step]() });
  return { id: approvalEventId(r.approvalId, step, r.version), step, approvalId: r.approvalId, time: at, data };
}

/** The CloudEvent for an outbox event, as published on the approval queue. */
export function toCloudEvent(event: ApprovalEvent, source: string): ApprovalCloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    source,
    type: approvalEventType(event.step),
    time: event.time,
    subject: event.approvalId,
    datacontenttype: 'application/json',
    dataschema: dataSchemaUri(event.step),
    data: { ...event.data },
  };
}
