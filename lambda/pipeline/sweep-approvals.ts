import { type ApprovalRecord, type ApprovalStep, isPastExpiry, nextRecord } from '../domain/approval.ts';
import { approvalEvent } from '../domain/approval-events.ts';
import { assignSlots } from '../policy/approval-rules.ts';
import type { ApprovalEvent, ApprovalStore } from '../ports.ts';
import { type PublishApprovalEventsDeps, publishApprovalEvents, publishSoon } from './publish-approval-events.ts';

export interface SweepApprovalsDeps {
  readonly store: ApprovalStore;
  readonly publish: PublishApprovalEventsDeps;
  /** How many due requests one sweep handles at most; the rest wait for the next run (default 200). */
  readonly batchSize?: number;
}

export type SweepApprovalsResult = {
  readonly expired: number;
  readonly reminded: number;
  readonly escalated: number;
  /** Requests that changed under the sweeper (a decision came first): left alone, looked at again next time. */
  readonly conflicts: number;
  /** Outbox events published by the catch-up at the end. */
  readonly published: number;
};

/**
 * One sweep over pending approval requests at `now`: expire those past `requestExpiresAt`, send the one reminder and
 * escalate once to the fallback approver group when their time has come, then publish whatever the outbox still holds.
 * Every change is a conditional write on the version the sweeper read, stored with its events: when an approval races
 * the expiry exactly one of them wins, and a request that expired can never be approved (nor executed) afterwards. Safe
 * to run any number of times, concurrently too.
 */
export async function sweepApprovals(deps: SweepApprovalsDeps, now: Date): Promise<SweepApprovalsResult> {
  const counts = { expired: 0, reminded: 0, escalated: 0, conflicts: 0 };
  const due = await deps.store.pendingDue(now, deps.batchSize ?? 200);
  for (const candidate of due) {
    // The index is eventually consistent: decide on the request as it is now.
    const current = await deps.store.get(candidate.approvalId);
    if (!current) continue;
    const change = dueChange(current, now);
    if (!change) continue;
    const events: ApprovalEvent[] = change.steps.map((step) => approvalEvent(step, change.next));
    if (!(await deps.store.update(change.next, current.version, events))) {
      counts.conflicts += 1;
      continue;
    }
    for (const step of change.steps) {
      if (step === 'expired' || step === 'reminded' || step === 'escalated') counts[step] += 1;
    }
    await publishSoon(deps.publish, events);
  }
  const { published } = await publishApprovalEvents(deps.publish);
  return { ...counts, published };
}

/** What is due for a pending request at `now`: expiry alone, or the reminder and/or the escalation. */
export function dueChange(
  record: ApprovalRecord,
  now: Date,
): { next: ApprovalRecord; steps: ApprovalStep[] } | undefined {
  if (record.state !== 'pending') return undefined;
  const at = now.toISOString();
  if (isPastExpiry(record, now)) {
    return { next: nextRecord(record, { state: 'expired', decidedAt: at }), steps: ['expired'] };
  }
  const steps: ApprovalStep[] = [];
  let patch: Partial<ApprovalRecord> = {};
  if (record.remindAt && !record.remindedAt && now.getTime() >= Date.parse(record.remindAt)) {
    patch = { ...patch, remindedAt: at };
    steps.push('reminded');
  }
  const group = record.escalationGroup;
  if (group && record.escalateAt && !record.escalatedAt && now.getTime() >= Date.parse(record.escalateAt)) {
    const required = record.required;
    patch = {
      ...patch,
      escalatedAt: at,
      required: {
        ...required,
        groupSlots: withFallback(record, group),
        escalationGroups: [...new Set([...(required.escalationGroups ?? []), group])],
      },
    };
    steps.push('escalated');
  }
  return steps.length > 0 ? { next: nextRecord(record, patch), steps } : undefined;
}

/**
 * The fallback group stands in for ONE missing group slot, never for two: a critical action that needs "one from
 * security AND one from IT" still needs two different groups after escalation (two members of the fallback group
 * cannot approve it between them). The slot it joins is the first one no approval fills yet. Without group slots the
 * fallback group simply joins the approver groups (`escalationGroups`).
 */
function withFallback(record: ApprovalRecord, group: string): string[][] {
  const slots = record.required.groupSlots.map((slot) => [...slot]);
  if (slots.some((slot) => slot.includes(group))) return slots;
  const approvers = record.decisions
    .filter((d) => d.outcome === 'approve')
    .map((d) => ({ id: d.approverId, groups: d.qualifyingGroups }));
  const filled = assignSlots(approvers, slots);
  const open = slots.findIndex((_, i) => filled[i] === undefined);
  return slots.map((slot, i) => (i === open ? [...slot, group] : slot));
}
