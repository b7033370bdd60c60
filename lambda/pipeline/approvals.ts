import type { AuditLog, Clock } from '../ports.ts';
import type { ActionMessage } from './action-messages.ts';

/**
 * THE APPROVAL SEAM. A decision that needs a human is handed to an `ApprovalGateway` with the exact action message that
 * would be queued if a human approves it. The approvals work (approval queue, notifier, approvals API bound to the
 * payload hash) implements this interface; until then `RecordedApprovals` records each one as pending in the audit
 * trail, where `npx hookpilot audit` shows it, and nothing runs.
 */
export interface PendingApproval {
  /** Exactly what the executor would get once approved (`origin.kind` becomes `approval` then). */
  readonly message: ActionMessage;
  readonly risk: string;
  readonly confidence: number;
  readonly rationale: string;
  readonly evidence: readonly string[];
  /** The policy rule that asked for a human. */
  readonly rule: string;
  readonly reason: string;
}

export interface ApprovalGateway {
  /** Idempotent per action id. */
  submit(pending: PendingApproval): Promise<void>;
}

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
