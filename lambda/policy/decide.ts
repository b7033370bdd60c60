import type { Calibration, RecommenderIdentity } from '../domain/calibration.ts';
import { maxRisk, RISK_LEVELS, type RiskLevel, riskOf } from '../domain/catalog.ts';
import type { Intent } from '../domain/intent.ts';
import { inIntentScope, type Mode, type PolicyConfig } from '../domain/policy-config.ts';
import type { Decision, DecisionOutcome, ValidProposal } from '../domain/recommendation.ts';
import { type CalibrationOutcome, calibrateConfidence } from './calibrate.ts';

/**
 * The deterministic policy: for each validated proposal, auto (the executor acts), approval (a human decides) or drop.
 * Pure: the same proposals, mode and policy always give the same decisions. Two things no configuration changes:
 * a high or critical action is never automatic, and in observe mode nothing is done.
 */

/** The rule behind each decision, as recorded in the audit trail. Stable ids: dashboards and tests rely on them. */
export const RULES = {
  /** The action type is not in the event's intent scope (`intentScopes`): dropped before anyone is asked. */
  outOfIntent: 'out-of-intent',
  /** More approval requests for one event than `limits.maxApprovalsPerEvent` (drop; applied by `approval-caps.ts`). */
  capApprovalsPerEvent: 'cap-approvals-per-event',
  /**
   * More approval requests about one user within the window than `limits.maxPendingApprovalsPerUser` (drop; applied by
   * `approval-caps.ts` with the approval quota).
   */
  capApprovalsPerUser: 'cap-approvals-per-user',
  /** `actions[type].disabled`: the action type is switched off (drop). */
  actionDisabled: 'action-disabled',
  /** The confidence is below `dropBelowConfidence` (drop). */
  confidenceBelowFloor: 'confidence-below-floor',
  /** Assisted mode: every action goes to a human (approval). */
  modeAssisted: 'mode-assisted',
  /** High and critical actions always go to a human, whatever the policy says (approval). */
  riskNeverAuto: 'risk-never-auto',
  /** No automatic threshold for this risk level or action type (approval). */
  noAutoThreshold: 'no-auto-threshold',
  /** The confidence is below the automatic threshold (approval). */
  confidenceBelowAuto: 'confidence-below-auto',
  /** The confidence meets the automatic threshold (auto). */
  confidenceMeetsAuto: 'confidence-meets-auto',
  /** More automatic actions for one event than `limits.maxAutoActionsPerEvent` (approval). */
  capPerEvent: 'cap-per-event',
  /** More automatic actions in the last hour than `limits.maxAutoActionsPerHour` (approval; applied by the pipeline). */
  capPerHour: 'cap-per-hour',
} as const;
export type RuleId = (typeof RULES)[keyof typeof RULES];

/**
 * The approval-fatigue guard's rules, each with the message key of the warning logged when it drops an action. A model
 * proposing what its event cannot justify, or more than approvers can read, is alert-worthy: the stack's metric filter
 * counts these keys (`lib/constructs/alarms.ts`). Stable: alarms and dashboards match them.
 */
export const GUARD_ALERTS: Readonly<Record<string, string>> = {
  [RULES.outOfIntent]: 'hookpilot.guard.out_of_intent',
  [RULES.capApprovalsPerEvent]: 'hookpilot.guard.approval_cap',
  [RULES.capApprovalsPerUser]: 'hookpilot.guard.approval_cap',
};

export interface DecideOptions {
  /** The mode in effect: HOOKPILOT_MODE, else the policy's (resolved by the caller, e.g. with `modeFrom`). */
  readonly mode: Mode;
  readonly policy: PolicyConfig;
  /** Why the event needs a recommendation: only the action types in its scope (`policy.intentScopes`) go anywhere. */
  readonly intent: Intent;
  /**
   * The calibration in effect (`loadCalibration`), if any: confidences are mapped through it before they are compared
   * with `dropBelowConfidence` and the automatic thresholds — when it was fitted for `recommendedBy`.
   */
  readonly calibration?: Calibration;
  /** The recommendation's model and prompt version (`rules` and `RULES_VERSION` for the rules recommender). */
  readonly recommendedBy?: Partial<RecommenderIdentity>;
}

type Verdict = Pick<Decision, 'outcome' | 'rule' | 'reason'>;

export function decide(proposals: readonly ValidProposal[], options: DecideOptions): Decision[] {
  const { policy } = options;
  const cap = policy.limits.maxAutoActionsPerEvent;
  // Executed and observed automatic actions are capped separately: what is only observed never uses up the real cap.
  let autoCount = 0;
  let observedAutoCount = 0;

  return proposals.map((proposal) => {
    const override = Object.hasOwn(policy.actions, proposal.action.type)
      ? policy.actions[proposal.action.type]
      : undefined;
    // Observe (global or for this type) wins over everything: nothing is done, and the outcome shown is what would
    // happen otherwise (the type's own mode if it has one, else autonomous).
    const observed = options.mode === 'observe' || override?.mode === 'observe';
    const simulated: Mode = override?.mode && override.mode !== 'observe' ? override.mode : 'autonomous';
    const mode: Mode = observed ? 'observe' : (override?.mode ?? options.mode);
    const calibration = options.calibration
      ? calibrateConfidence(proposal.action.type, proposal.confidence, options.calibration, options.recommendedBy)
      : undefined;
    let verdict = inIntentScope(options.intent, proposal.action.type, policy)
      ? judge(proposal, observed ? simulated : mode, override, policy, calibration)
      : outOfIntent(proposal, options.intent);

    if (verdict.outcome === 'auto') {
      const used = observed ? observedAutoCount : autoCount;
      if (used >= cap) {
        verdict = {
          outcome: 'approval',
          rule: RULES.capPerEvent,
          reason: `this event already has ${cap} automatic action${cap === 1 ? '' : 's'}, the most the policy allows: a human decides`,
        };
      } else if (observed) observedAutoCount += 1;
      else autoCount += 1;
    }
    return {
      proposal,
      outcome: verdict.outcome,
      mode,
      observed,
      rule: verdict.rule,
      reason: observed ? `${verdict.reason} (observe mode: nothing is done)` : verdict.reason,
      ...(calibration ? { calibration } : {}),
    };
  });
}

function outOfIntent(proposal: ValidProposal, intent: Intent): Verdict {
  return {
    outcome: 'drop',
    rule: RULES.outOfIntent,
    reason: `${proposal.action.type} is not something a ${intent} event can lead to (the policy's intentScopes.${intent}): dropped before anyone is asked`,
  };
}

function judge(
  proposal: ValidProposal,
  mode: Mode,
  override: PolicyConfig['actions'][keyof PolicyConfig['actions']],
  policy: PolicyConfig,
  calibration: CalibrationOutcome | undefined,
): Verdict {
  const { type } = proposal.action;
  // The calibrated confidence when a calibration applies; the stated one otherwise.
  const confidence = calibration ? calibration.effective : proposal.confidence;
  const said = calibration?.applied
    ? `calibrated confidence ${confidence} (stated ${calibration.stated})`
    : `confidence ${confidence}`;
  const why = calibration && !calibration.applied ? ` (${calibration.note})` : '';
  if (override?.disabled) {
    return { outcome: 'drop', rule: RULES.actionDisabled, reason: `${type} is disabled by the policy` };
  }
  if (confidence < policy.dropBelowConfidence) {
    return {
      outcome: 'drop',
      rule: RULES.confidenceBelowFloor,
      reason: `${said} is below the policy's floor of ${policy.dropBelowConfidence}${why}`,
    };
  }
  if (mode !== 'autonomous') {
    return {
      outcome: 'approval',
      rule: RULES.modeAssisted,
      reason: `${type} is decided in assisted mode: a human decides`,
    };
  }
  const risk = effectiveRisk(proposal);
  if (risk !== 'low' && risk !== 'medium') {
    return {
      outcome: 'approval',
      rule: RULES.riskNeverAuto,
      reason: `${type} is ${risk} risk, and ${risk}-risk actions are never automatic: a human decides`,
    };
  }
  const threshold = override?.minConfidence ?? policy.autoApprove[risk]?.minConfidence;
  if (threshold === undefined || threshold === null) {
    return {
      outcome: 'approval',
      rule: RULES.noAutoThreshold,
      reason: `the policy sets no automatic threshold for ${risk}-risk actions like ${type}: a human decides`,
    };
  }
  // `!(a >= b)` rather than `a < b`: a confidence that is not a number never meets a threshold.
  if (!(confidence >= threshold)) {
    return {
      outcome: 'approval',
      rule: RULES.confidenceBelowAuto,
      reason: `${said} is below the automatic threshold of ${threshold} for ${type}: a human decides${why}`,
    };
  }
  return {
    outcome: 'auto',
    rule: RULES.confidenceMeetsAuto,
    reason: `${type} is ${risk} risk and ${said} meets the automatic threshold of ${threshold}${why}`,
  };
}

/**
 * The proposal's risk, never below what the catalog says for its action (a proposal built without the validator
 * cannot lower it), and critical for anything the catalog cannot assess.
 */
function effectiveRisk(proposal: ValidProposal): RiskLevel {
  let catalog: RiskLevel;
  try {
    catalog = riskOf(proposal.action);
  } catch {
    return 'critical';
  }
  const stated = RISK_LEVELS.includes(proposal.risk) ? proposal.risk : 'critical';
  return maxRisk(stated, catalog);
}

/**
 * Sends an automatic decision to a human instead, naming the rule (e.g. `cap-per-hour`, applied by `hourly-cap.ts` with
 * the hour's budget). Approvals and drops are returned unchanged: demoting never drops an action
 * nor asks a human about a dropped one.
 */
export function demote(decision: Decision, rule: string, reason: string): Decision {
  if (decision.outcome !== 'auto') return decision;
  return {
    ...decision,
    outcome: 'approval',
    rule,
    reason: decision.observed ? `${reason} (observe mode: nothing is done)` : reason,
  };
}

/**
 * Drops an approval instead of asking a human, naming the rule (the approval caps in `approval-caps.ts`). Automatic
 * decisions and drops are returned unchanged.
 */
export function dropApproval(decision: Decision, rule: string, reason: string): Decision {
  if (decision.outcome !== 'approval') return decision;
  return {
    ...decision,
    outcome: 'drop',
    rule,
    reason: decision.observed ? `${reason} (observe mode: nothing is done)` : reason,
  };
}

const OUTCOME_WORDS: Readonly<Record<DecisionOutcome, { readonly done: string; readonly wouldHave: string }>> = {
  auto: { done: 'queued to run automatically', wouldHave: 'run it automatically' },
  approval: { done: 'sent for approval', wouldHave: 'asked a human' },
  drop: { done: 'dropped', wouldHave: 'dropped it' },
};

/** What became of a decided action, in words for the audit trail ("sent for approval", "observed (would have …)"). */
export function describeOutcome(decision: Decision): string {
  const words = OUTCOME_WORDS[decision.outcome];
  return decision.observed ? `observed (would have ${words.wouldHave})` : words.done;
}
