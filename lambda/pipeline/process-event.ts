import type { OktaDirectory, UserStatus } from '../okta/directory.ts';
import { type LogEvent, subjectUserId } from '../okta/event-hook.ts';
import type { Action } from '../policy/catalog.ts';
import { decide, demote, RULES } from '../policy/decide.ts';
import type { Mode, PolicyConfig } from '../policy/policy-config.ts';
import type { AuditLog, AuditRecord, Clock, MessageQueue } from '../ports.ts';
import { buildContext, MOVER_ATTRIBUTES, moverDifferences } from '../recommend/context.ts';
import type { Decision, RecommendationContext, Recommender, ValidProposal } from '../recommend/types.ts';
import { validateProposals } from '../recommend/validate.ts';
import type { ActionLedger } from '../store/action-ledger.ts';
import type { ActionMessage } from './action-messages.ts';
import type { ApprovalGateway } from './approvals.ts';
import { type EventRoute, type Intent, routeEvent } from './event-routes.ts';
import type { EventMessage } from './messages.ts';

export interface ProcessEventDeps {
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly routes?: readonly EventRoute[];
  readonly okta: OktaDirectory;
  readonly ledger: Pick<
    ActionLedger,
    'actionForRequest' | 'reserveAutoSlot' | 'claimOnce' | 'releaseOnce' | 'holderOf'
  >;
  readonly recommender: Recommender;
  readonly policy: PolicyConfig;
  readonly mode: Mode;
  readonly actionsQueue: MessageQueue<ActionMessage>;
  readonly approvals: ApprovalGateway;
}

export type ProcessOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | {
      readonly status: 'decided';
      readonly intent: Intent;
      readonly recommender: string;
      readonly rejected: number;
      readonly decisions: readonly {
        actionId: string;
        type: string;
        outcome: string;
        observed: boolean;
        rule: string;
      }[];
    };

/** What the recommendation audit record keeps, so that a retry of the same event reuses it instead of asking again. */
interface StoredRecommendation {
  readonly intent: Intent;
  readonly recommender: string;
  readonly assessment: string;
  readonly proposals: readonly ValidProposal[];
  readonly userStatus: string;
  /** How many proposals validation rejected. */
  readonly rejected: number;
  readonly preconditionProfile: Readonly<Record<string, string | number | boolean | null>>;
}

const MAX_PRECONDITION_CHARS = 190; // context values are trimmed at 200: only untrimmed ones can be compared later

/**
 * The events consumer's use case for one queued event (run once per event uuid by the caller): route it; skip what
 * needs nothing (with the reason); gather context; ask the recommender; validate what it proposes; let the policy
 * decide each action; queue the automatic ones, hand the others to the approval seam, and audit every step.
 */
export async function processEvent(message: EventMessage, deps: ProcessEventDeps): Promise<ProcessOutcome> {
  const { event } = message;
  const subject = subjectUserId(event);
  const record = recorder(event, deps);
  const skip = async (reason: string, detail: Record<string, unknown> = {}): Promise<ProcessOutcome> => {
    await record('routed', 'event.skipped', `skipped: ${reason}`, subject, {
      reason,
      published: event.published,
      ...detail,
    });
    return { status: 'skipped', reason };
  };

  const route = routeEvent(event, deps.routes);
  if (!route.accepted) return skip(route.reason);
  const requestId = requestIdOf(event);
  if (requestId) {
    const actionId = await deps.ledger.actionForRequest(requestId);
    if (actionId) return skip(`caused by hookpilot's own action ${actionId}`, { actionId });
  }

  let stored = await storedRecommendation(event.uuid, deps.audit);
  // Okta sends user.lifecycle.create and .activate for one joiner: one recommendation is enough.
  const joinerClaim = !stored && route.intent === 'joiner' ? `joiner:${route.subjectUserId}` : undefined;
  if (joinerClaim) {
    // The usual case, settled without reading Okta: the other event has claimed the joiner and recommended already.
    const holder = await deps.ledger.holderOf(joinerClaim);
    if (holder && holder !== event.uuid && (await storedRecommendation(holder, deps.audit))) {
      return skip(`this joiner is already being handled (event ${holder})`);
    }
  }
  if (!stored) {
    const context = await buildContext(
      { intent: route.intent, event, subjectUserId: route.subjectUserId, policy: deps.policy },
      deps,
    );
    if (!context) return skip('the user no longer exists in Okta');
    const snapshot = moverSnapshot(context);
    if (route.intent === 'mover') {
      const change = moverChange(context);
      if (!change.moved) return skip(change.reason, { profile: snapshot });
    }
    // The claim is taken once the context is in hand and given back if recommending fails, so an event that keeps
    // failing (and ends in the dead-letter queue) does not stop the other one.
    if (joinerClaim) {
      const earlier = await deps.ledger.claimOnce(joinerClaim, event.uuid, deps.clock());
      if (earlier) return skip(`this joiner is already being handled (event ${earlier})`);
    }
    await record('routed', 'event.accepted', `accepted for recommendation (${route.intent})`, route.subjectUserId, {
      intent: route.intent,
      rule: route.rule,
      published: event.published,
    });
    try {
      stored = await recommend(context, route.intent, snapshot, deps, record);
    } catch (error) {
      if (joinerClaim) await deps.ledger.releaseOnce(joinerClaim, event.uuid).catch(() => undefined);
      throw error;
    }
  }
  return decideAndHandOff(event, route.subjectUserId, stored, deps, record);
}

async function recommend(
  context: RecommendationContext,
  intent: Intent,
  snapshot: Record<string, string | number | boolean | null>,
  deps: ProcessEventDeps,
  record: ReturnType<typeof recorder>,
): Promise<StoredRecommendation> {
  const result = await deps.recommender.recommend(context, deps.policy);
  const { valid, rejected } = validateProposals(result, context, deps.policy);
  for (const [i, r] of rejected.entries()) {
    await record(
      `proposal:${i}`,
      'recommendation.rejected',
      `rejected a proposed ${String(r.proposal.type).slice(0, 60)}: ${r.reason}`,
      context.user.id,
      {
        reason: r.reason,
        proposal: r.proposal,
        recommender: result.recommender,
      },
    );
  }
  const stored: StoredRecommendation = {
    intent,
    recommender: result.recommender,
    assessment: result.assessment.slice(0, 1000),
    proposals: valid,
    rejected: rejected.length,
    userStatus: context.user.status,
    preconditionProfile: Object.fromEntries(
      Object.entries(snapshot).filter(([, v]) => typeof v !== 'string' || v.length <= MAX_PRECONDITION_CHARS),
    ),
  };
  const via = result.fallback ? ` (the model failed: ${result.fallback.reason}; rules answered)` : '';
  await record(
    'recommendation',
    'recommendation.made',
    `${result.recommender} recommender proposed ${valid.length} action(s)${rejected.length ? `, ${rejected.length} rejected` : ''}${via}: ${stored.assessment}`,
    context.user.id,
    {
      ...stored,
      ...(result.model ? { model: result.model } : {}),
      ...(result.promptVersion ? { promptVersion: result.promptVersion } : {}),
      ...(result.usage ? { usage: result.usage } : {}),
      ...(result.fallback ? { fallback: result.fallback } : {}),
      profile: snapshot,
      context: { chars: JSON.stringify(context).length, truncated: context.truncated, peers: context.peers.sampled },
    },
  );
  return stored;
}

async function decideAndHandOff(
  event: LogEvent,
  userId: string,
  stored: StoredRecommendation,
  deps: ProcessEventDeps,
  record: ReturnType<typeof recorder>,
): Promise<ProcessOutcome> {
  const now = deps.clock();
  const decided = decide(stored.proposals, { mode: deps.mode, policy: deps.policy });
  const queued: ActionMessage[] = [];
  const summary: { actionId: string; type: string; outcome: string; observed: boolean; rule: string }[] = [];
  for (const [i, first] of decided.entries()) {
    const actionId = actionIdFor(event, stored.intent, userId, first.proposal.action, i);
    let decision: Decision = first;
    if (stored.intent === 'security') {
      // A burst of signals about one user gets one response per action and window, however many events it spans.
      const earlier = await deps.ledger.claimOnce(actionId, event.uuid, now);
      if (earlier !== undefined) {
        await record(
          `decision:${actionId}`,
          'decision.duplicate',
          `already decided: ${describe(first.proposal.action)} for this user, by event ${earlier} in the same ${SECURITY_WINDOW_MINUTES}-minute window`,
          userId,
          { actionId, action: first.proposal.action, decidedBy: earlier },
        );
        summary.push({
          actionId,
          type: first.proposal.action.type,
          outcome: 'duplicate',
          observed: first.observed,
          rule: 'already-decided',
        });
        continue;
      }
    }
    if (decision.outcome === 'auto' && !decision.observed) {
      const hour = now.toISOString().slice(0, 13);
      if (!(await deps.ledger.reserveAutoSlot(hour, actionId, deps.policy.limits.maxAutoActionsPerHour, now))) {
        decision = demote(
          decision,
          RULES.capPerHour,
          `the hour's ${deps.policy.limits.maxAutoActionsPerHour} automatic actions are used up`,
        );
      }
    }
    const message = actionMessage(event, actionId, decision.proposal.action, stored, decision, now);
    const verb = decision.observed
      ? `observed (would have ${decision.outcome === 'auto' ? 'run it automatically' : decision.outcome === 'approval' ? 'asked a human' : 'dropped it'})`
      : decision.outcome === 'auto'
        ? 'queued to run automatically'
        : decision.outcome === 'approval'
          ? 'sent for approval'
          : 'dropped';
    await record(
      `decision:${actionId}`,
      decision.observed ? 'decision.observed' : `decision.${decision.outcome}`,
      `${verb}: ${describe(decision.proposal.action)} — ${decision.reason}`,
      userId,
      {
        actionId,
        action: decision.proposal.action,
        outcome: decision.outcome,
        observed: decision.observed,
        mode: decision.mode,
        rule: decision.rule,
        reason: decision.reason,
        risk: decision.proposal.risk,
        confidence: decision.proposal.confidence,
        rationale: decision.proposal.rationale,
        evidence: decision.proposal.evidence,
      },
    );
    if (!decision.observed && decision.outcome === 'auto') queued.push(message);
    if (!decision.observed && decision.outcome === 'approval') {
      await deps.approvals.submit({
        message,
        risk: decision.proposal.risk,
        confidence: decision.proposal.confidence,
        rationale: decision.proposal.rationale,
        evidence: decision.proposal.evidence,
        rule: decision.rule,
        reason: decision.reason,
        eventType: event.eventType,
      });
    }
    summary.push({
      actionId,
      type: decision.proposal.action.type,
      outcome: decision.outcome,
      observed: decision.observed,
      rule: decision.rule,
    });
  }
  if (queued.length > 0) {
    await deps.actionsQueue.send(
      queued.map((m) => ({ id: m.actionId, body: m, attributes: { actionType: m.action.type } })),
    );
  }
  return {
    status: 'decided',
    intent: stored.intent,
    recommender: stored.recommender,
    rejected: stored.rejected,
    decisions: summary,
  };
}

function actionMessage(
  event: LogEvent,
  actionId: string,
  action: Action,
  stored: StoredRecommendation,
  decision: Decision,
  now: Date,
): ActionMessage {
  return {
    schemaVersion: 1,
    actionId,
    action: { type: action.type, params: action.params as Record<string, unknown> },
    origin: { kind: 'recommendation', correlationId: event.uuid, recommendationId: `${event.uuid}:recommendation` },
    decidedAt: now.toISOString(),
    reason: decision.proposal.rationale.slice(0, 2000),
    // The facts the decision rested on: if they change before the executor runs, it voids the action.
    preconditions: {
      status: [stored.userStatus as UserStatus],
      ...(Object.keys(stored.preconditionProfile).length > 0 ? { profile: { ...stored.preconditionProfile } } : {}),
    },
  };
}

const SECURITY_WINDOW_MINUTES = 10;

/**
 * Action ids are the executor's idempotency keys. A recommendation's actions are numbered within their event; a
 * security response is named by what it does to whom and when (user, action, 10-minute window of the event), so the
 * same response to one burst of signals is one action.
 */
function actionIdFor(event: LogEvent, intent: Intent, userId: string, action: Action, index: number): string {
  if (intent !== 'security') return `${event.uuid}:${index}`;
  const window = Math.floor(Date.parse(event.published) / (SECURITY_WINDOW_MINUTES * 60_000));
  const params = action.params as Record<string, unknown>;
  const detail = ['groupId', 'appId', 'roleType']
    .map((k) => params[k])
    .filter(Boolean)
    .join('.');
  return `security:${userId}:${action.type}${detail ? `.${detail}` : ''}:${window}`;
}

/** The attributes a mover is judged on, as they are now (recorded with every recommendation as a baseline). */
function moverSnapshot(context: RecommendationContext): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const key of MOVER_ATTRIBUTES) out[key] = context.user.profile[key] ?? null;
  return out;
}

/** Did a profile update make the user a mover? Okta's list of changed attributes decides; else the last recorded profile. */
export function moverChange(context: RecommendationContext): { moved: boolean; reason: string } {
  const tracked: readonly string[] = MOVER_ATTRIBUTES;
  const changed = context.event.changedAttributes;
  if (changed) {
    const relevant = changed.filter((a) => tracked.includes(a));
    return relevant.length > 0
      ? { moved: true, reason: `${relevant.join(', ')} changed` }
      : {
          moved: false,
          reason: `the profile change (${changed.slice(0, 5).join(', ')}) did not touch department, title, location or manager`,
        };
  }
  if (!context.previousProfile) {
    return {
      moved: false,
      reason: 'Okta did not say what changed and no earlier profile is on record; this one is now the baseline',
    };
  }
  const differences = moverDifferences(context.previousProfile, context.user.profile);
  return differences.length > 0
    ? { moved: true, reason: `${differences.join(', ')} changed since last seen` }
    : { moved: false, reason: 'department, title, location and manager are as last seen' };
}

/** The X-Okta-Request-Id of the request that caused the event, when Okta says. */
function requestIdOf(event: LogEvent): string | undefined {
  const debugData = (event.debugContext as { debugData?: { requestId?: unknown } } | undefined)?.debugData;
  if (typeof debugData?.requestId === 'string' && debugData.requestId.length > 0) return debugData.requestId;
  return undefined;
}

async function storedRecommendation(uuid: string, audit: AuditLog): Promise<StoredRecommendation | undefined> {
  const existing = (await audit.byCorrelation(uuid)).find((r) => r.recordKey === 'recommendation');
  return existing?.detail as StoredRecommendation | undefined;
}

function describe(action: Action): string {
  const p = action.params as Record<string, unknown>;
  const extra = ['groupId', 'appId', 'roleType'].map((k) => p[k]).filter(Boolean);
  return `${action.type}${extra.length ? ` ${extra.join(' ')}` : ''}`;
}

function recorder(event: LogEvent, deps: ProcessEventDeps) {
  return (
    recordKey: string,
    kind: string,
    summary: string,
    subject: string | undefined,
    detail: Record<string, unknown>,
  ) => {
    const entry: AuditRecord = {
      correlationId: event.uuid,
      recordKey,
      kind,
      at: deps.clock().toISOString(),
      actor: 'events-consumer',
      summary,
      subjectUserId: subject,
      eventType: event.eventType,
      detail,
    };
    return deps.audit.append([entry]);
  };
}
