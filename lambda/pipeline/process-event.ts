import { type ActionMessage, actionIdFor, SECURITY_WINDOW_MINUTES } from '../domain/action-message.ts';
import type { Calibration, RecommenderIdentity } from '../domain/calibration.ts';
import type { Action } from '../domain/catalog.ts';
import type { EventMessage } from '../domain/event-message.ts';
import { grantTerms } from '../domain/grant.ts';
import type { Intent } from '../domain/intent.ts';
import type { Mode, PolicyConfig } from '../domain/policy-config.ts';
import type { Decision, RecommendationContext } from '../domain/recommendation.ts';
import { logger } from '../log.ts';
import type { LogEvent } from '../okta/event-hook.ts';
import { subjectUserId } from '../okta/event-hook.ts';
import { requestIdOf } from '../okta/log-event.ts';
import { approvalCaps } from '../policy/approval-caps.ts';
import { decide, describeOutcome, GUARD_ALERTS } from '../policy/decide.ts';
import { withinHourlyCap } from '../policy/hourly-cap.ts';
import type {
  ApprovalGateway,
  ApprovalQuota,
  AuditLog,
  AuditRecord,
  Claims,
  Clock,
  HourlyBudget,
  LegacyHashStore,
  MessageQueue,
  OktaDirectory,
  Recommender,
  RequestRegistry,
} from '../ports.ts';
import { buildContext } from '../recommend/context.ts';
import { moverChange, moverSnapshot, type ProfileSnapshot } from '../recommend/mover.ts';
import { RULES_IDENTITY } from '../recommend/rules-recommender.ts';
import { validateProposals } from '../recommend/validate.ts';
import { type EventRoute, housekeepingFor, routeEvent } from './event-routes.ts';
import { RECOMMENDATION_RECORD_KEY, type StoredRecommendation, storedRecommendation } from './stored-recommendation.ts';

export interface ProcessEventDeps {
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly routes?: readonly EventRoute[];
  readonly okta: OktaDirectory;
  readonly ledger: RequestRegistry & HourlyBudget & Claims & ApprovalQuota;
  readonly recommender: Recommender;
  readonly policy: PolicyConfig;
  readonly mode: Mode;
  /** The calibration in effect (`loadCalibration()`), if any: applied when fitted for the recommendation's model. */
  readonly calibration?: Calibration;
  readonly actionsQueue: MessageQueue<ActionMessage>;
  readonly approvals: ApprovalGateway;
  /** Where the password import hook's legacy hashes live (housekeeping after `user.import.password`). */
  readonly legacyHashes?: Pick<LegacyHashStore, 'delete'>;
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
    await record({
      recordKey: 'routed',
      kind: 'event.skipped',
      summary: `skipped: ${reason}`,
      subject,
      detail: { reason, published: event.published, ...detail },
    });
    return { status: 'skipped', reason };
  };

  const chore = housekeepingFor(event);
  if (chore && deps.legacyHashes) {
    await deps.legacyHashes.delete(chore.login);
    await record({
      recordKey: 'routed',
      kind: 'password.migrated',
      summary: `Okta imported the password of ${chore.login}: legacy hash deleted`,
      subject,
      detail: { login: chore.login, published: event.published },
    });
    return { status: 'skipped', reason: 'legacy password hash deleted after import' };
  }
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
    await record({
      recordKey: 'routed',
      kind: 'event.accepted',
      summary: `accepted for recommendation (${route.intent})`,
      subject: route.subjectUserId,
      detail: { intent: route.intent, rule: route.rule, published: event.published },
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
  snapshot: ProfileSnapshot,
  deps: ProcessEventDeps,
  record: Recorder,
): Promise<StoredRecommendation> {
  const result = await deps.recommender.recommend(context, deps.policy);
  const { valid, rejected } = validateProposals(result, context, deps.policy);
  for (const [i, r] of rejected.entries()) {
    await record({
      recordKey: `proposal:${i}`,
      kind: 'recommendation.rejected',
      summary: `rejected a proposed ${String(r.proposal.type).slice(0, 60)}: ${r.reason}`,
      subject: context.user.id,
      detail: { reason: r.reason, proposal: r.proposal, recommender: result.recommender },
    });
  }
  const stored: StoredRecommendation = {
    intent,
    recommender: result.recommender,
    assessment: result.assessment.slice(0, 1000),
    proposals: valid,
    rejected: rejected.length,
    ...(result.model ? { model: result.model } : {}),
    ...(result.promptVersion ? { promptVersion: result.promptVersion } : {}),
    userStatus: context.user.status,
    preconditionProfile: Object.fromEntries(
      Object.entries(snapshot).filter(([, v]) => typeof v !== 'string' || v.length <= MAX_PRECONDITION_CHARS),
    ),
  };
  const via = result.fallback ? ` (the model failed: ${result.fallback.reason}; rules answered)` : '';
  await record({
    recordKey: RECOMMENDATION_RECORD_KEY,
    kind: 'recommendation.made',
    summary: `${result.recommender} recommender proposed ${valid.length} action(s)${rejected.length ? `, ${rejected.length} rejected` : ''}${via}: ${stored.assessment}`,
    subject: context.user.id,
    detail: {
      ...stored,
      ...(result.usage ? { usage: result.usage } : {}),
      ...(result.fallback ? { fallback: result.fallback } : {}),
      profile: snapshot,
      context: { chars: JSON.stringify(context).length, truncated: context.truncated, peers: context.peers.sampled },
    },
  });
  return stored;
}

async function decideAndHandOff(
  event: LogEvent,
  userId: string,
  stored: StoredRecommendation,
  deps: ProcessEventDeps,
  record: Recorder,
): Promise<ProcessOutcome> {
  const now = deps.clock();
  const recommendedBy = identityOf(stored);
  const decided = decide(stored.proposals, {
    mode: deps.mode,
    policy: deps.policy,
    intent: stored.intent,
    ...(deps.calibration ? { calibration: deps.calibration } : {}),
    recommendedBy,
  });
  const capped = approvalCaps(userId, { quota: deps.ledger, policy: deps.policy, now });
  const queued: ActionMessage[] = [];
  const summary: { actionId: string; type: string; outcome: string; observed: boolean; rule: string }[] = [];
  for (const [i, first] of decided.entries()) {
    const actionId = actionIdFor(event, stored.intent, userId, first.proposal.action, i);
    if (stored.intent === 'security') {
      // A burst of signals about one user gets one response per action and window, however many events it spans.
      const earlier = await deps.ledger.claimOnce(actionId, event.uuid, now);
      if (earlier !== undefined) {
        await record({
          recordKey: `decision:${actionId}`,
          kind: 'decision.duplicate',
          summary: `already decided: ${describe(first.proposal.action)} for this user, by event ${earlier} in the same ${SECURITY_WINDOW_MINUTES}-minute window`,
          subject: userId,
          detail: { actionId, action: first.proposal.action, decidedBy: earlier },
        });
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
    const decision = await capped(
      await withinHourlyCap(first, actionId, { budget: deps.ledger, policy: deps.policy, now }),
      actionId,
    );
    const alert = decision.outcome === 'drop' ? GUARD_ALERTS[decision.rule] : undefined;
    if (alert) {
      // Alert-worthy (the stack counts these lines): ids, types and the rule only, never the model's text.
      logger.warn(alert, {
        rule: decision.rule,
        correlationId: event.uuid,
        actionId,
        actionType: decision.proposal.action.type,
        intent: stored.intent,
        subjectUserId: userId,
        risk: decision.proposal.risk,
        observed: decision.observed,
        recommender: stored.recommender,
      });
    }
    const message = actionMessage(event, actionId, decision.proposal.action, stored, decision, now);
    await record({
      recordKey: `decision:${actionId}`,
      kind: decision.observed ? 'decision.observed' : `decision.${decision.outcome}`,
      summary: `${describeOutcome(decision)}: ${describe(decision.proposal.action)} — ${decision.reason}`,
      subject: userId,
      detail: {
        actionId,
        action: decision.proposal.action,
        outcome: decision.outcome,
        observed: decision.observed,
        mode: decision.mode,
        rule: decision.rule,
        reason: decision.reason,
        risk: decision.proposal.risk,
        confidence: decision.proposal.confidence,
        ...calibrationDetail(decision),
        rationale: decision.proposal.rationale,
        evidence: decision.proposal.evidence,
        // Who recommended it: joins a human's decision on the approval request to the recommender (shadow agreement).
        recommender: stored.recommender,
        ...recommendedBy,
      },
    });
    if (!decision.observed && decision.outcome === 'auto') queued.push(message);
    if (!decision.observed && decision.outcome === 'approval') {
      // An admin role is always time-bound: approvers see (and may shorten) the policy's mandatory cap. Privileged
      // groups get theirs when the executor grants (it reads the group's name then).
      const terms = grantTerms(decision.proposal.action, undefined, deps.policy);
      await deps.approvals.submit({
        ...(terms ? { durationSeconds: terms.durationSeconds } : {}),
        message,
        risk: decision.proposal.risk,
        confidence: decision.proposal.confidence,
        ...(decision.calibration?.applied ? { calibratedConfidence: decision.calibration.effective } : {}),
        ...(decision.calibration ? { calibrationNote: decision.calibration.note } : {}),
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
    origin: {
      kind: 'recommendation',
      correlationId: event.uuid,
      recommendationId: `${event.uuid}:${RECOMMENDATION_RECORD_KEY}`,
    },
    decidedAt: now.toISOString(),
    reason: decision.proposal.rationale.slice(0, 2000),
    // The facts the decision rested on: if they change before the executor runs, it voids the action.
    preconditions: {
      status: [stored.userStatus],
      ...(Object.keys(stored.preconditionProfile).length > 0 ? { profile: { ...stored.preconditionProfile } } : {}),
    },
  };
}

/**
 * Who made a recommendation, as a calibration names it: the model and prompt version it recorded, or `rules` and
 * `RULES_VERSION` for the rules recommender (also when it answered because the model failed).
 */
export function identityOf(
  stored: Pick<StoredRecommendation, 'recommender' | 'model' | 'promptVersion'>,
): Partial<RecommenderIdentity> {
  if (stored.recommender === 'rules') return { ...RULES_IDENTITY };
  return {
    ...(stored.model ? { model: stored.model } : {}),
    ...(stored.promptVersion ? { promptVersion: stored.promptVersion } : {}),
  };
}

/** The decision record's calibration fields: the stated confidence stays `confidence`; these say what the policy used. */
function calibrationDetail(decision: Decision): Record<string, unknown> {
  const c = decision.calibration;
  if (!c) return {};
  return {
    ...(c.applied ? { calibratedConfidence: c.effective } : {}),
    calibration: { applied: c.applied, ...(c.mapping ? { mapping: c.mapping } : {}), note: c.note },
  };
}

function describe(action: Action): string {
  const p = action.params as Record<string, unknown>;
  const extra = ['groupId', 'appId', 'roleType'].map((k) => p[k]).filter(Boolean);
  return `${action.type}${extra.length ? ` ${extra.join(' ')}` : ''}`;
}

/** One audit record of the events consumer about the event it processes. */
interface Entry {
  readonly recordKey: string;
  readonly kind: string;
  readonly summary: string;
  /** The Okta user the record is about, when there is one. */
  readonly subject: string | undefined;
  readonly detail: Readonly<Record<string, unknown>>;
}

type Recorder = (entry: Entry) => Promise<void>;

function recorder(event: LogEvent, deps: ProcessEventDeps): Recorder {
  return ({ recordKey, kind, summary, subject, detail }) => {
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
