import type { UserStatus } from '../ports.ts';
import type { Action, RiskLevel } from './catalog.ts';
import type { Intent } from './intent.ts';
import type { Mode } from './policy-config.ts';

/*
 * The recommendation's vocabulary, shared by the recommenders (which produce it), the policy (which decides on it) and
 * the events consumer's use case (which carries it from one to the other).
 */

/**
 * What a recommender sees about one event: what a careful admin would look at, gathered from Okta and trimmed to a size
 * budget. Every string that comes from Okta profiles, names or log messages is attacker-controlled text: it is data.
 */
export interface RecommendationContext {
  readonly intent: Intent;
  readonly event: {
    readonly uuid: string;
    readonly eventType: string;
    readonly published: string;
    readonly outcome?: string;
    readonly reason?: string;
    readonly displayMessage?: string;
    readonly actorId?: string;
    readonly targets: readonly { readonly id: string; readonly type: string; readonly name?: string }[];
    /** For profile updates: the attribute names Okta says changed. */
    readonly changedAttributes?: readonly string[];
  };
  readonly user: {
    readonly id: string;
    readonly status: UserStatus;
    readonly login: string;
    /** Selected profile attributes (department, title, city, manager…), each value trimmed. */
    readonly profile: Readonly<Record<string, string | number | boolean | null>>;
  };
  /** Mover: the attributes as the audit trail last saw them, when it did. */
  readonly previousProfile?: Readonly<Record<string, string | number | boolean | null>>;
  readonly groups: readonly GroupFact[];
  readonly apps: readonly AppFact[];
  /** Admin roles; `viaGroup` when assigned through a group the user is in (it goes with the group). */
  readonly roles: readonly { readonly type: string; readonly viaGroup?: boolean }[];
  readonly manager?: {
    readonly id: string;
    readonly login: string;
    readonly displayName?: string;
    readonly title?: string;
    readonly department?: string;
  };
  /** What users like this one hold (same department, then title and city), with counts. */
  readonly peers: PeerStats;
  /** Groups the policy names (birthright, privileged), resolved to ids, so proposals can refer to them. */
  readonly candidateGroups: readonly GroupFact[];
  /** Security: the user's recent System Log, oldest first. */
  readonly timeline: readonly TimelineEntry[];
  /** What was left out to stay within the size budget, in words. */
  readonly truncated: readonly string[];
}

export interface GroupFact {
  readonly id: string;
  readonly name: string;
  readonly type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
}

export interface AppFact {
  readonly id: string;
  readonly label: string;
  /** The user's own apps, for leavers: assigned directly (USER) or through a group (GROUP). */
  readonly scope?: 'USER' | 'GROUP';
}

export interface PeerStats {
  /** The attributes peers were matched on. */
  readonly basis: Readonly<Record<string, string>>;
  /** How many peers were looked at. */
  readonly sampled: number;
  readonly groups: readonly (GroupFact & { readonly holders: number; readonly share: number })[];
  readonly apps: readonly (AppFact & { readonly holders: number; readonly share: number })[];
}

export interface TimelineEntry {
  readonly uuid?: string;
  readonly published: string;
  readonly eventType: string;
  readonly outcome?: string;
  readonly reason?: string;
  readonly ipAddress?: string;
  readonly city?: string;
  readonly country?: string;
}

/** One action a recommender proposes. Untrusted until validated (a model wrote it). */
export interface Proposal {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly confidence: number;
  readonly rationale: string;
  readonly evidence: readonly string[];
}

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

export interface RecommendationResult {
  readonly recommender: 'llm' | 'rules';
  readonly assessment: string;
  readonly proposals: readonly Proposal[];
  /** LLM only: the model, the prompt version and what it cost. */
  readonly model?: string;
  readonly promptVersion?: string;
  readonly usage?: TokenUsage;
  /** Set when the model failed and the rules recommender answered instead: why. */
  readonly fallback?: { readonly from: 'llm'; readonly reason: string };
}

/** A proposal that passed validation: a catalog action on ids from the context, nothing protected. */
export interface ValidProposal {
  readonly action: Action;
  readonly risk: RiskLevel;
  readonly confidence: number;
  readonly rationale: string;
  readonly evidence: readonly string[];
}

export interface RejectedProposal {
  /** The proposal as received, trimmed for the audit trail. */
  readonly proposal: Proposal;
  readonly reason: string;
}

export type DecisionOutcome = 'auto' | 'approval' | 'drop';

export interface Decision {
  readonly proposal: ValidProposal;
  /** What happens: auto (queued for the executor), approval (a human decides), drop (nothing). */
  readonly outcome: DecisionOutcome;
  /** The mode the action was decided in (per action type, or HOOKPILOT_MODE, or the policy's). */
  readonly mode: Mode;
  /** In observe mode nothing is done: `outcome` is what would have happened, and `observed` is true. */
  readonly observed: boolean;
  /** The policy rule that decided, e.g. `risk-never-auto`, `confidence-below-auto`, `cap-per-event`. */
  readonly rule: string;
  /** The rule in words, for the audit trail. */
  readonly reason: string;
  /**
   * When a calibration is configured: the stated and the effective (calibrated) confidence, whether it applied, and why
   * not (e.g. fitted for another model or prompt version).
   */
  readonly calibration?: {
    readonly stated: number;
    readonly effective: number;
    readonly applied: boolean;
    readonly mapping?: 'action-type' | 'pooled';
    readonly note: string;
  };
}
