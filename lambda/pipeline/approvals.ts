import type { ApprovalGateway, AuditLog, Clock, PendingApproval } from '../ports.ts';

/**
 * The approval seam's stand-in (the `ApprovalGateway` port): until the approvals work (approval queue, notifier,
 * approvals API bound to the payload hash) implements the port, each decision that needs a human is recorded as
 * pending in the audit trail, where `npx hookpilot audit` shows it, and nothing runs.
 */
export class RecordedApprovals implements ApprovalGateway {
  constructor(
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async submit(pending: PendingApproval): Promise<void> {
    const { message } = pending;
    await this.audit.append([
      {
        correlationId: message.origin.correlationId,
        recordKey: `approval:${message.actionId}`,
        kind: 'approval.pending',
        at: this.clock().toISOString(),
        actor: 'policy',
        summary: `waiting for a human: ${message.action.type} (${pending.reason})`,
        subjectUserId: typeof message.action.params.userId === 'string' ? message.action.params.userId : undefined,
        detail: { ...pending },
      },
    ]);
  }
}
