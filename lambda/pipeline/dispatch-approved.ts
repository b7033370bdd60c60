import type { ActionMessage } from '../domain/action-message.ts';
import type { ApprovalStore, AuditLog, MessageQueue } from '../ports.ts';
import { completeDecision } from './decide-approval.ts';

export interface DispatchApprovedDeps {
  readonly store: ApprovalStore;
  readonly actionsQueue: MessageQueue<ActionMessage>;
  readonly audit: AuditLog;
  /** Approved this long ago and still no outcome: queued again (default 10 minutes). */
  readonly graceMs?: number;
  /** At most this many requests per run (default 100). */
  readonly limit?: number;
}

/**
 * A sweep step that closes the one gap deciding leaves: the approval was recorded but the process stopped before the
 * action reached the actions queue (and the approver never submitted again). Every request still `approved` — the
 * executor has not reported an outcome — some minutes after its decision has its action queued again, with its audit
 * records completed. Harmless when it was queued after all: the executor's ledger runs an action id once (a copy finds
 * it finished, or busy and comes back later). The price: an action the executor is holding back for Okta's rate limit
 * may be tried again before the reset — and deferred again.
 */
export async function dispatchApproved(deps: DispatchApprovedDeps, now: Date): Promise<{ requeued: number }> {
  const graceMs = deps.graceMs ?? 10 * 60_000;
  const { items } = await deps.store.list({ state: 'approved', limit: deps.limit ?? 100 });
  let requeued = 0;
  for (const record of items) {
    const decidedAt = Date.parse(record.decidedAt ?? record.requestedAt);
    if (now.getTime() - decidedAt < graceMs) continue;
    await completeDecision(record, deps);
    requeued += 1;
  }
  return { requeued };
}
