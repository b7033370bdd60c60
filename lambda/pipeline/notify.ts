import type { ApprovalRecord, ApprovalStep } from '../domain/approval.ts';
import { type ApprovalCloudEvent, parseApprovalCloudEvent } from '../domain/approval-events.ts';
import { ActionSchema, describeAction } from '../domain/catalog.ts';
import { ConfigError, DependencyError } from '../errors.ts';
import { logger } from '../log.ts';
import { formatDuration, personText, plural } from '../notify/channel.ts';
import {
  type ApprovalEvent,
  type ApprovalStore,
  type Clock,
  type DeliveryLedger,
  type Notification,
  type NotificationAudience,
  type NotificationChannel,
  type NotificationFact,
  type NotificationPerson,
  type OktaAppDirectory,
  type OktaDirectory,
  type OktaUser,
  PermanentDeliveryError,
  RetryableDeliveryError,
} from '../ports.ts';
import { findManager } from '../recommend/context.ts';

/**
 * WHO HEARS WHAT — the one routing table of notifications (docs/notifications.md). Approvers hear every step of a
 * request, so a channel that edits its first message (Slack) can close the call to action and a webhook gets each
 * CloudEvent once; the requesting side and the subject user's manager hear the outcome; the end of time-bound access
 * is announced to them too. A channel delivers only the audiences it has a destination for.
 */
export const WHO_HEARS: Readonly<Record<ApprovalStep, readonly NotificationAudience[]>> = {
  requested: ['approvers'],
  reminded: ['approvers'],
  escalated: ['approvers'],
  approved: ['approvers', 'outcome'],
  rejected: ['approvers', 'outcome'],
  expired: ['approvers', 'outcome'],
  // Withdrawn by hookpilot itself: nothing for the requesting side to act on or expect.
  cancelled: ['approvers'],
  executed: ['approvers', 'outcome'],
  voided: ['approvers', 'outcome'],
  failed: ['approvers', 'outcome'],
  ended: ['approvers', 'grant-ended'],
};

/** What the notifier reads from Okta: names for ids, and the subject's manager. */
export type NotificationDirectory = Pick<OktaDirectory, 'getUser' | 'getGroup' | 'searchUsers'> & OktaAppDirectory;

export interface NotifyDeps {
  readonly channels: readonly NotificationChannel[];
  readonly ledger: DeliveryLedger;
  readonly approvals: Pick<ApprovalStore, 'get'>;
  readonly directory: NotificationDirectory;
  /** The console's base URL (no trailing slash). */
  readonly consoleBaseUrl: string;
  readonly clock: Clock;
  /** How long a delivery is held by this worker (a little longer than the function can run). */
  readonly leaseMs: number;
}

export type DeliveryOutcome = 'sent' | 'skipped' | 'already-sent' | 'refused' | 'already-refused';

export interface NotifyResult {
  readonly eventId: string;
  readonly deliveries: readonly { channel: string; audience: NotificationAudience; outcome: DeliveryOutcome }[];
}

/** Some deliveries of an event must be tried again; the ones that went out are recorded and will not be repeated. */
export class NotifyRetryError extends Error {
  override readonly name = 'NotifyRetryError';
  constructor(
    readonly failures: readonly { channel: string; audience: NotificationAudience; reason: string }[],
    /** The longest `Retry-After` a receiver asked for, if any. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`notification delivery to retry: ${failures.map((f) => `${f.channel} (${f.reason})`).join('; ')}`);
  }
}

/**
 * Delivers one approval event: builds the notification for each audience that hears its step (names resolved once),
 * then hands it to every channel serving that audience — each (notification, channel) once, however often the message
 * is delivered (the ledger); a `perEvent` channel (the webhook) gets the event once, whatever audiences it serves. Channels are independent: a permanent refusal is recorded and logged once, with the
 * channel and the reason, and never retried; a retryable failure of any of them throws `NotifyRetryError` after the
 * others have been delivered, so the queue brings the message back and only the missing deliveries are made.
 */
export async function notifyApprovalEvent(deps: NotifyDeps, cloudEvent: ApprovalCloudEvent): Promise<NotifyResult> {
  const parsed = parseApprovalCloudEvent(cloudEvent);
  if (!parsed.success) throw new Error(`not an approval event (schema v1): ${parsed.error}`);
  const event: ApprovalEvent = {
    id: cloudEvent.id,
    step: parsed.step,
    approvalId: cloudEvent.subject,
    time: cloudEvent.time,
    data: cloudEvent.data,
  };
  const heard = WHO_HEARS[event.step];
  // A channel sending the same thing to every audience (`perEvent`: the webhook's CloudEvent) gets the event once, for
  // the first of its audiences that hears the step, recorded under the event id; the others once per audience.
  const work = deps.channels.flatMap((channel) => {
    const audiences = heard.filter((a) => channel.audiences.includes(a));
    if (channel.perEvent) {
      const first = audiences[0];
      return first ? [{ audience: first, channel, key: event.id }] : [];
    }
    return audiences.map((audience) => ({ audience, channel, key: `${event.id}/${audience}` }));
  });
  if (work.length === 0) return { eventId: event.id, deliveries: [] };

  const audiences = [...new Set(work.map((w) => w.audience))];
  const facts = await resolve(deps, event, audiences);
  const notifications = new Map(audiences.map((a) => [a, buildNotification(facts, event, cloudEvent, a)]));

  const settled = await Promise.allSettled(
    work.map(async ({ audience, channel, key }) => {
      const notification = notifications.get(audience) as Notification;
      return { audience, channel: channel.name, outcome: await deliverOnce(deps, channel, notification, key) };
    }),
  );
  const deliveries: NotifyResult['deliveries'][number][] = [];
  const failures: { channel: string; audience: NotificationAudience; reason: string }[] = [];
  let retryAfterSeconds: number | undefined;
  settled.forEach((result, i) => {
    const { audience, channel } = work[i] as (typeof work)[number];
    if (result.status === 'fulfilled') {
      deliveries.push(result.value);
      return;
    }
    const error = result.reason;
    failures.push({ channel: channel.name, audience, reason: safeReason(error) });
    if (error instanceof RetryableDeliveryError && error.details.retryAfterSeconds !== undefined) {
      retryAfterSeconds = Math.max(retryAfterSeconds ?? 0, error.details.retryAfterSeconds);
    }
  });
  if (failures.length > 0) throw new NotifyRetryError(failures, retryAfterSeconds);
  return { eventId: event.id, deliveries };
}

/** One delivery, at most once: claim it (its record is `key` and the channel), send it, record how it went. */
async function deliverOnce(
  deps: NotifyDeps,
  channel: NotificationChannel,
  notification: Notification,
  key: string,
): Promise<DeliveryOutcome> {
  const begin = await deps.ledger.begin(key, channel.name, deps.clock(), deps.leaseMs);
  if (begin.outcome === 'delivered') return 'already-sent';
  if (begin.outcome === 'refused') return 'already-refused';
  if (begin.outcome === 'busy') {
    throw new RetryableDeliveryError(channel.name, 'another worker is delivering it right now');
  }
  let result: Awaited<ReturnType<NotificationChannel['deliver']>>;
  try {
    result = await channel.deliver(notification);
  } catch (error) {
    if (error instanceof PermanentDeliveryError) {
      await deps.ledger.refused(key, channel.name, error.reason, deps.clock());
      // Reported once: the delivery record now says `refused`, so a redelivery of the message skips it quietly.
      logger.error('notification refused permanently: not retried, fix the channel settings', {
        channel: channel.name,
        reason: error.reason,
        ...(error.details.httpStatus ? { httpStatus: error.details.httpStatus } : {}),
        approvalId: notification.approvalId,
        step: notification.step,
        audience: notification.audience,
        notificationId: key,
      });
      return 'refused';
    }
    await deps.ledger.release(key, channel.name).catch(() => undefined);
    logger.warn('notification delivery failed: the message comes back for another try', {
      channel: channel.name,
      reason: safeReason(error),
      approvalId: notification.approvalId,
      step: notification.step,
      audience: notification.audience,
    });
    throw error;
  }
  await deps.ledger.delivered(key, channel.name, result, deps.clock());
  return result.outcome;
}

/** An error's text when it is one of ours (written to be safe); otherwise only its class name. */
function safeReason(error: unknown): string {
  if (error instanceof RetryableDeliveryError || error instanceof PermanentDeliveryError) return error.reason;
  if (error instanceof DependencyError || error instanceof ConfigError) return error.message;
  return `unexpected ${error instanceof Error ? error.name : 'error'}`;
}

// ─── Building the notification ──────────────────────────────────────────────────────────────────────────────────────

interface Resolved {
  readonly record?: ApprovalRecord;
  readonly subject?: NotificationPerson;
  readonly manager?: NotificationPerson;
  readonly actionText: string;
  readonly consoleBaseUrl: string;
}

const MAX_NAME = 100;
const cut = (s: string, max = MAX_NAME): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function personOf(user: OktaUser): NotificationPerson {
  const p = user.profile;
  const name =
    typeof p.displayName === 'string' && p.displayName.trim()
      ? p.displayName
      : [p.firstName, p.lastName].filter((x): x is string => typeof x === 'string' && x.trim() !== '').join(' ');
  return {
    id: user.id,
    login: cut(p.login, 200),
    ...(name ? { displayName: cut(name) } : {}),
    ...(typeof p.email === 'string' ? { email: cut(p.email, 200) } : {}),
  };
}

/**
 * Reads what a human needs once per event: the request (confidence, rationale, evidence, decisions — later steps'
 * events do not repeat them), the subject user, their manager (only for the outcome audiences), and the names of the
 * action's group or app. Okta being slow or down costs names, not the notification: ids are shown instead.
 */
async function resolve(
  deps: NotifyDeps,
  event: ApprovalEvent,
  audiences: readonly NotificationAudience[],
): Promise<Resolved> {
  const record = await deps.approvals.get(event.approvalId);
  const data = event.data as { subjectUserId?: string; action?: { type: string; params: Record<string, unknown> } };
  const action = record?.message.action ?? data.action ?? { type: 'unknown', params: {} };
  const subjectId = record?.subjectUserId ?? data.subjectUserId;
  const attempt = async <T>(what: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await what();
    } catch (error) {
      logger.warn('a name lookup in Okta failed: the notification shows ids instead', {
        approvalId: event.approvalId,
        error: error instanceof Error ? error.name : 'error',
      });
      return undefined;
    }
  };
  const subjectUser = subjectId ? await attempt(() => deps.directory.getUser(subjectId)) : undefined;
  const wantsManager = audiences.some((a) => a !== 'approvers');
  const managerRef =
    subjectUser && wantsManager ? await attempt(() => findManager(subjectUser, deps.directory)) : undefined;
  const subject = subjectUser ? personOf(subjectUser) : subjectId ? { id: subjectId } : undefined;

  const params = action.params as { userId?: unknown; groupId?: unknown; appId?: unknown };
  const names = new Map<string, string>();
  if (typeof params.userId === 'string') names.set(params.userId, personText(subject, params.userId));
  if (typeof params.groupId === 'string') {
    const groupId = params.groupId;
    const group = await attempt(() => deps.directory.getGroup(groupId));
    names.set(groupId, group ? `"${cut(group.name)}"` : groupId);
  }
  if (typeof params.appId === 'string') {
    const appId = params.appId;
    const app = await attempt(() => deps.directory.getApp(appId));
    names.set(appId, app?.label ? `"${cut(app.label)}"` : appId);
  }
  const parsed = ActionSchema.safeParse(action);
  let actionText = parsed.success ? describeAction(parsed.data) : action.type;
  // Ids are Okta ids (letters and digits): replacing them cannot touch anything else in the sentence.
  for (const [id, name] of names) actionText = actionText.split(id).join(name);
  return {
    ...(record ? { record } : {}),
    ...(subject ? { subject } : {}),
    ...(managerRef
      ? {
          manager: {
            id: managerRef.id,
            login: managerRef.login,
            ...(managerRef.displayName ? { displayName: managerRef.displayName } : {}),
          },
        }
      : {}),
    actionText,
    consoleBaseUrl: deps.consoleBaseUrl,
  };
}

const HEADLINE: Record<ApprovalStep, string> = {
  requested: 'Approval needed',
  reminded: 'Reminder: approval still needed',
  escalated: 'Escalated: approval needed',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired without a decision',
  cancelled: 'Cancelled',
  executed: 'Done',
  voided: 'Not carried out',
  failed: 'Failed',
  ended: 'Access ended',
};

/** The notification for one audience, from the event and what was resolved. Pure. */
export function buildNotification(
  r: Resolved,
  event: ApprovalEvent,
  cloudEvent: ApprovalCloudEvent,
  audience: NotificationAudience,
): Notification {
  const d = event.data as Record<string, unknown> & {
    state: Notification['state'];
    risk: Notification['risk'];
    requestExpiresAt: string;
    action: { type: string; params: Record<string, unknown> };
  };
  const record = r.record;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const required = record?.required.approvals ?? 1;
  const approvals = (record?.decisions ?? []).filter((x) => x.outcome === 'approve');
  const missing =
    typeof d.approvalsMissing === 'number' ? d.approvalsMissing : Math.max(0, required - approvals.length);
  const decidedBy =
    event.step === 'rejected'
      ? [str((d.rejectedBy as { approverLogin?: string } | undefined)?.approverLogin) ?? 'an approver']
      : Array.isArray(d.approvers)
        ? (d.approvers as { approverLogin: string }[]).map((a) => a.approverLogin)
        : approvals.map((a) => a.approverLogin);
  const reason =
    event.step === 'rejected'
      ? str((d.rejectedBy as { reason?: string } | undefined)?.reason)
      : event.step === 'requested'
        ? str(d.reason)
        : (str(d.reason) ?? (event.step === 'executed' ? str(d.detail) : undefined));
  const durationSeconds =
    (typeof d.grantedDurationSeconds === 'number' ? d.grantedDurationSeconds : undefined) ??
    record?.grantedDurationSeconds ??
    record?.durationSeconds ??
    (typeof d.durationSeconds === 'number' ? d.durationSeconds : undefined);
  const oktaRequestId = str(d.oktaRequestId) ?? record?.outcome?.oktaRequestId;

  const waiting = `Waiting for ${plural(missing, approvals.length > 0 ? 'more approval' : 'approval')} · expires ${d.requestExpiresAt}`;
  const status: Record<ApprovalStep, () => string> = {
    requested: () => waiting,
    reminded: () => `Still ${waiting.charAt(0).toLowerCase()}${waiting.slice(1)}`,
    escalated: () => `Escalated: members of ${str(d.escalationGroup) ?? 'the fallback group'} may now decide too`,
    approved: () =>
      `Approved by ${decidedBy.join(', ') || 'the approvers'}${durationSeconds ? ` for ${formatDuration(durationSeconds)}` : ''}; queued to run`,
    rejected: () => `Rejected by ${decidedBy.join(', ')}${reason ? `: ${reason}` : ''}`,
    expired: () => `Expired with ${approvals.length} of ${plural(required, 'approval')}; it can never run now`,
    cancelled: () => `Cancelled${reason ? `: ${reason}` : ''}`,
    executed: () => `Carried out in Okta${oktaRequestId ? ` (request ${oktaRequestId})` : ''}`,
    voided: () => `Not carried out: ${reason ?? 'what the approval rested on no longer holds'}`,
    failed: () => `Okta refused or failed: ${reason ?? 'see the audit trail'}`,
    ended: () =>
      d.how === 'ended-early'
        ? `The time-bound access was ended early${str(d.endedBy) ? ` by ${str(d.endedBy)}` : ''}`
        : 'The time-bound access ended at its expiry; it has been removed',
  };

  const confidence = record?.confidence ?? (typeof d.confidence === 'number' ? d.confidence : undefined);
  const facts: NotificationFact[] = [
    { label: 'Action', value: r.actionText },
    ...(r.subject ? [{ label: 'User', value: personText(r.subject) }] : []),
    ...(audience !== 'approvers' && r.manager ? [{ label: 'Manager', value: personText(r.manager) }] : []),
    { label: 'Risk', value: d.risk },
    ...(confidence === undefined ? [] : [{ label: 'Confidence', value: `${Math.round(confidence * 100)}%` }]),
    ...(durationSeconds ? [{ label: 'Duration', value: formatDuration(durationSeconds) }] : []),
    ...(d.state === 'pending' ? [{ label: 'Expires', value: d.requestExpiresAt }] : []),
    // Why a human is asked: the policy rule and its reason (approvers decide better knowing it).
    ...(audience === 'approvers' && d.state === 'pending' && (record?.rule ?? str(d.rule))
      ? [
          {
            label: 'Policy',
            value: [record?.rule ?? str(d.rule), record?.reason ?? str(d.reason)].filter(Boolean).join(': '),
          },
        ]
      : []),
    ...(decidedBy.length > 0 && event.step !== 'requested'
      ? [{ label: 'Decided by', value: decidedBy.join(', ') }]
      : []),
    ...(oktaRequestId ? [{ label: 'Okta request', value: oktaRequestId }] : []),
    { label: 'Request', value: event.approvalId },
  ];

  const rationale = record?.rationale ?? str(d.rationale);
  const rule = record?.rule ?? str(d.rule);
  return {
    id: `${event.id}/${audience}`,
    audience,
    event,
    cloudEvent,
    step: event.step,
    approvalId: event.approvalId,
    state: d.state,
    headline: `${HEADLINE[event.step]}: ${r.actionText}`,
    status: status[event.step](),
    action: { type: d.action.type, text: r.actionText, params: d.action.params },
    ...(r.subject ? { subject: r.subject } : {}),
    ...(r.manager ? { manager: r.manager } : {}),
    risk: d.risk,
    ...(confidence === undefined ? {} : { confidence }),
    ...(rationale ? { rationale } : {}),
    evidence: record?.evidence ?? (Array.isArray(d.evidence) ? (d.evidence as string[]) : []),
    ...(rule ? { rule } : {}),
    ...(reason ? { reason } : {}),
    decidedBy,
    ...(d.state === 'pending' ? { approvalsMissing: missing } : {}),
    expiresAt: d.requestExpiresAt,
    ...(durationSeconds ? { durationSeconds } : {}),
    ...(oktaRequestId ? { oktaRequestId } : {}),
    consoleUrl: `${r.consoleBaseUrl}/console/approvals/${encodeURIComponent(event.approvalId)}`,
    facts,
  };
}
