import { randomUUID } from 'node:crypto';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { type ApprovalRecord, approvalIdFor, payloadHash } from '../../lambda/domain/approval.ts';
import { DEFAULT_POLICY, type PolicyConfig } from '../../lambda/domain/policy-config.ts';
import { approvalRequirement } from '../../lambda/policy/approval-rules.ts';
import type {
  ApprovalEvent,
  ApprovalStore,
  AuditLog,
  AuditRecord,
  MessageQueue,
  QueueMessage,
} from '../../lambda/ports.ts';
import { type AuditKey, auditKeyString } from '../../lambda/ports.ts';

/**
 * A pending approval request as the policy would leave it (the requirement from the policy's `approvals` section), for
 * tests of deciding. `action` defaults to adding the user to a group.
 */
export function pendingRecord(
  options: {
    readonly userId?: string;
    readonly action?: { type: string; params: Record<string, unknown> };
    readonly risk?: string;
    readonly durationSeconds?: number;
    readonly expiresInMs?: number;
    readonly now?: Date;
    readonly policy?: PolicyConfig;
    readonly correlationId?: string;
    readonly preconditions?: ActionMessage['preconditions'];
  } = {},
): ApprovalRecord {
  const now = options.now ?? new Date();
  const userId = options.userId ?? '00uSubject0000000001';
  const correlationId = options.correlationId ?? randomUUID();
  const action = options.action ?? { type: 'group.add_member', params: { userId, groupId: '00gGroup00000000001' } };
  const actionId = `act-${randomUUID()}`;
  const risk = options.risk ?? 'low';
  const message: ActionMessage = {
    schemaVersion: 1,
    actionId,
    action,
    origin: { kind: 'recommendation', correlationId, recommendationId: `rec-${correlationId}` },
    decidedAt: now.toISOString(),
    reason: 'a test proposal',
    ...(options.preconditions ? { preconditions: options.preconditions } : {}),
  };
  const base = {
    approvalId: approvalIdFor(actionId),
    message,
    ...(options.durationSeconds ? { durationSeconds: options.durationSeconds } : {}),
  };
  return {
    ...base,
    state: 'pending',
    payloadHash: payloadHash(base),
    risk,
    confidence: 0.7,
    rationale: 'peers in the same team hold it',
    evidence: ['12 of 15 peers are members'],
    rule: 'mode-assisted',
    reason: 'assisted mode: a human decides',
    correlationId,
    eventType: 'user.lifecycle.create',
    recommendationId: `rec-${correlationId}`,
    subjectUserId: userId,
    requestedAt: now.toISOString(),
    requestExpiresAt: new Date(now.getTime() + (options.expiresInMs ?? 72 * 3600_000)).toISOString(),
    required: approvalRequirement(options.policy ?? DEFAULT_POLICY, risk, action.type),
    decisions: [],
    version: 0,
  };
}

/** An in-memory ApprovalStore with the adapter's semantics (conditional on version, events stored with the change). */
export class MemoryApprovalStore implements ApprovalStore {
  readonly records = new Map<string, ApprovalRecord>();
  readonly events: ApprovalEvent[] = [];
  /** Called before each update is applied; throw to inject a fault, or change the stored record to race. */
  beforeUpdate?: (next: ApprovalRecord) => void | Promise<void>;
  /** Called after an update is applied; throw to inject a fault whose write nonetheless happened. */
  afterUpdate?: (next: ApprovalRecord) => void | Promise<void>;

  async create(record: ApprovalRecord, events: readonly ApprovalEvent[]) {
    const existing = this.records.get(record.approvalId);
    if (existing) return { created: false, record: structuredClone(existing) };
    this.records.set(record.approvalId, structuredClone(record));
    this.events.push(...events);
    return { created: true, record: structuredClone(record) };
  }

  async get(approvalId: string) {
    const record = this.records.get(approvalId);
    return record ? structuredClone(record) : undefined;
  }

  async list(query: { state?: string; subjectUserId?: string; limit?: number }) {
    const items = [...this.records.values()]
      .filter((r) => (query.state ? r.state === query.state : true))
      .filter((r) => (query.subjectUserId ? r.subjectUserId === query.subjectUserId : true))
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt))
      .slice(0, query.limit ?? 50);
    return { items: structuredClone(items) };
  }

  async update(next: ApprovalRecord, expectedVersion: number, events: readonly ApprovalEvent[]) {
    await this.beforeUpdate?.(next);
    const current = this.records.get(next.approvalId);
    if (!current || current.version !== expectedVersion) return false;
    if (next.version !== expectedVersion + 1) throw new Error('next.version must be expectedVersion + 1');
    this.records.set(next.approvalId, structuredClone(next));
    this.events.push(...events);
    await this.afterUpdate?.(next);
    return true;
  }

  async pendingDue() {
    return [];
  }
}

/** A queue that keeps what it is sent (and can fail). */
export class MemoryQueue<T> implements MessageQueue<T> {
  readonly sent: QueueMessage<T>[] = [];
  failures = 0;
  async send(messages: readonly QueueMessage<T>[]) {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('injected queue fault');
    }
    this.sent.push(...messages);
  }
}

/** An audit log that keeps records by key, idempotently (and can fail). */
export class MemoryAudit implements AuditLog {
  readonly byKey = new Map<string, AuditRecord>();
  failures = 0;
  async append(records: readonly AuditRecord[]) {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('injected audit fault');
    }
    for (const r of records) if (!this.byKey.has(auditKeyString(r))) this.byKey.set(auditKeyString(r), r);
  }
  async existing(keys: readonly AuditKey[]) {
    return new Set(keys.map(auditKeyString).filter((k) => this.byKey.has(k)));
  }
  async byCorrelation(correlationId: string) {
    return [...this.byKey.values()].filter((r) => r.correlationId === correlationId);
  }
  async bySubject() {
    return [];
  }
  async byTime() {
    return [];
  }
}
