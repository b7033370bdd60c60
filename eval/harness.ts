import { randomBytes } from 'node:crypto';
import type { Calibration } from '../lambda/domain/calibration.ts';
import type { Intent } from '../lambda/domain/intent.ts';
import type { Mode, PolicyConfig } from '../lambda/domain/policy-config.ts';
import type { Decision, TokenUsage } from '../lambda/domain/recommendation.ts';
import { type LogEvent, LogEventSchema } from '../lambda/okta/event-hook.ts';
import { OktaSdkAdapter } from '../lambda/okta/okta-sdk-adapter.ts';
import { routeEvent } from '../lambda/pipeline/event-routes.ts';
import { identityOf } from '../lambda/pipeline/process-event.ts';
import { decide } from '../lambda/policy/decide.ts';
import type { AuditLog, AuditRecord, Recommender } from '../lambda/ports.ts';
import { auditKeyString } from '../lambda/ports.ts';
import { buildContext } from '../lambda/recommend/context.ts';
import { moverChange } from '../lambda/recommend/mover.ts';
import { validateProposals } from '../lambda/recommend/validate.ts';
import { type OktaSim, type Seed, startOktaSim } from '../local/okta-sim/index.ts';
import { type ActionLike, type CaseScore, mustNotMatches, scoreCase, type Verdict } from './metrics.ts';
import { type Expectation, type LoadedScenario, REF_PARAMS, resolveRef } from './scenario.ts';

/**
 * Runs labelled cases through the real pipeline pieces, one Okta simulator per case (started with the case's seed,
 * stopped after it), the real context builder (over the Okta SDK adapter and HTTP, as in production), the recommender
 * given, validation and the deterministic policy. Nothing is executed and no approval is requested: each case ends
 * with the policy's decisions, scored against the labels.
 *
 * Differences from the events consumer (`lambda/pipeline/process-event.ts`), each because a case is one event on its
 * own: no dedupe, no joiner claim, no hourly cap, no approval caps, no security window — those depend on other events.
 */

export interface HarnessOptions {
  readonly policy: PolicyConfig;
  /** A calibration the policy applies (`--calibration`), when it fits the recommendation's model and prompt version. */
  readonly calibration?: Calibration;
  /** The mode the policy decides in (per-type modes in the policy still apply). */
  readonly mode: Mode;
  readonly recommender: Recommender;
  /** Cases in flight at once (each has its own simulator). */
  readonly concurrency: number;
  /** Called after each case, in completion order. */
  readonly onCase?: (result: CaseResult, done: number, total: number) => void;
}

/** A proposal that passed validation, with the policy's decision about it and its verdict against the labels. */
export interface ProposalResult {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The names of the objects its id params refer to (group name, app label and name, user login). */
  readonly names: Readonly<Record<string, readonly string[]>>;
  readonly risk: string;
  readonly confidence: number;
  /** With `--calibration`: the confidence the policy compared with its thresholds (when the calibration applied). */
  readonly calibratedConfidence?: number;
  readonly outcome: Decision['outcome'];
  /** The policy rule that decided (`confidence-meets-auto`, `risk-never-auto`, `out-of-intent`…). */
  readonly rule: string;
  readonly verdict: Verdict;
  /** The index in the case's `expect` of the label that decided the verdict (absent: none matched). */
  readonly expectation?: number;
}

export interface CaseResult {
  readonly id: string;
  readonly intent: Intent;
  readonly title: string;
  readonly file: string;
  readonly tags: readonly string[];
  /**
   * `decided`: the policy decided the proposals (maybe none); `skipped`: the pipeline stops before recommending (the
   * event is not routed, a profile update moved no one, the user is gone) — nothing is proposed; `error`: the case
   * could not be run (`reason` says why).
   */
  readonly status: 'decided' | 'skipped' | 'error';
  readonly reason?: string;
  readonly recommender?: string;
  readonly model?: string;
  readonly promptVersion?: string;
  /** The model failed and the rules answered instead: why. */
  readonly fallback?: string;
  readonly usage?: TokenUsage;
  readonly assessment?: string;
  readonly proposals: readonly ProposalResult[];
  /** Proposals validation rejected (off-catalog, unknown ids, protected…): never decided. The first 20. */
  readonly rejected: readonly { readonly type: string; readonly reason: string }[];
  /** How many validation rejected in all. */
  readonly rejectedCount: number;
  /**
   * Rejected proposals that matched a `must-not` label (all of them, not only the first 20): the recommender proposed
   * what must not happen and validation caught it. `expectation` is the label's index in `expect`. Absent in reports
   * written before it existed.
   */
  readonly caughtMustNot?: readonly { readonly type: string; readonly expectation: number }[];
  /** The `must` labels nothing matched (false negatives), with their index in `expect`. */
  readonly missed: readonly { readonly index: number; readonly type: string; readonly params?: unknown }[];
  readonly ms: number;
}

/** Runs every case with at most `concurrency` at once; results in the cases' order. */
export async function runCases(cases: readonly LoadedScenario[], options: HarnessOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const result = await runCase(cases[i] as LoadedScenario, options);
      results[i] = result;
      done += 1;
      options.onCase?.(result, done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, cases.length)) }, worker));
  return results;
}

const MAX_REJECTED_LISTED = 20;

/** Generous limits: the simulator serves one case; its rate limits are not what is measured. */
const RATE_LIMITS = { users: 100_000, groups: 100_000, apps: 100_000, roles: 100_000, logs: 100_000 };

/** Runs one case; never throws (a failure is a result with status `error`). */
export async function runCase(loaded: LoadedScenario, options: HarnessOptions): Promise<CaseResult> {
  const started = performance.now();
  const { scenario } = loaded;
  const base = {
    id: scenario.id,
    intent: scenario.intent,
    title: scenario.title,
    file: loaded.file,
    tags: scenario.tags,
  };
  const empty = {
    proposals: [],
    rejected: [],
    rejectedCount: 0,
    caughtMustNot: [],
    missed: [] as CaseResult['missed'],
  };
  const ms = () => Math.round(performance.now() - started);
  let sim: OktaSim | undefined;
  try {
    // The simulator's clock is real time shifted by `offset`: sign-ins "minutes ago" are logged at that time.
    let offset = 0;
    sim = await startOktaSim({
      seed: loaded.seed,
      token: randomBytes(21).toString('base64url'),
      clock: () => Date.now() + offset,
      rateLimits: RATE_LIMITS,
    });
    const idOf = (ref: string) => resolveRef(loaded.seed, ref)?.id ?? ref;
    const signIns = [...scenario.before.signIns].sort((a, b) => b.minutesAgo - a.minutesAgo);
    for (const signIn of signIns) {
      offset = -signIn.minutesAgo * 60_000;
      for (let n = 0; n < signIn.count; n++) {
        sim.logs.append({
          eventType: 'user.session.start',
          actorId: idOf(signIn.userId),
          outcome: {
            result: signIn.outcome,
            reason: signIn.reason ?? (signIn.outcome === 'FAILURE' ? 'INVALID_CREDENTIALS' : null),
          },
          severity: signIn.outcome === 'SUCCESS' ? 'INFO' : 'WARN',
          ...(signIn.ipAddress ? { ipAddress: signIn.ipAddress } : {}),
          ...(signIn.userAgent ? { userAgent: signIn.userAgent } : {}),
          ...(signIn.geo ? { geo: signIn.geo as never } : {}),
        });
      }
    }
    offset = 0;
    const { actorId, targetIds, ...rest } = scenario.event;
    const appended = sim.logs.append({
      ...(rest as Omit<typeof rest, 'geo'>),
      ...(actorId ? { actorId: idOf(actorId) } : {}),
      targetIds: targetIds.map(idOf),
      ...(rest.outcome ? { outcome: { result: rest.outcome.result, reason: rest.outcome.reason ?? null } } : {}),
    } as Parameters<OktaSim['logs']['append']>[0]);
    const event: LogEvent = LogEventSchema.parse(JSON.parse(JSON.stringify(appended)));

    const route = routeEvent(event);
    if (!route.accepted) return { ...base, ...empty, status: 'skipped', reason: route.reason, ms: ms() };
    if (route.intent !== scenario.intent) {
      return {
        ...base,
        ...empty,
        status: 'error',
        reason: `the event is routed as ${route.intent} (rule ${route.rule}), not ${scenario.intent}: fix the case's intent or event`,
        ms: ms(),
      };
    }
    const audit = new MemoryAuditLog();
    if (scenario.before.previousProfile) {
      await audit.append([baseline(route.subjectUserId, scenario.before.previousProfile, event)]);
    }
    const okta = new OktaSdkAdapter({
      orgUrl: sim.orgUrl,
      credentials: async () => ({ kind: 'apiToken', apiToken: (sim as OktaSim).token }),
      requestTimeoutMs: 10_000,
      maxRateLimitWaitMs: 0,
    });
    const context = await buildContext(
      { intent: route.intent, event, subjectUserId: route.subjectUserId, policy: options.policy },
      { okta, audit },
    );
    if (!context)
      return { ...base, ...empty, status: 'skipped', reason: 'the user no longer exists in Okta', ms: ms() };
    if (route.intent === 'mover') {
      const change = moverChange(context);
      if (!change.moved) return { ...base, ...empty, status: 'skipped', reason: change.reason, ms: ms() };
    }
    const result = await options.recommender.recommend(context, options.policy);
    const { valid, rejected } = validateProposals(result, context, options.policy);
    const decisions = decide(valid, {
      mode: options.mode,
      policy: options.policy,
      intent: route.intent,
      ...(options.calibration ? { calibration: options.calibration, recommendedBy: identityOf(result) } : {}),
    });

    const actions: ActionLike[] = decisions.map((d) => ({
      type: d.proposal.action.type,
      params: d.proposal.action.params as Record<string, unknown>,
      names: namesOf(d.proposal.action.params as Record<string, unknown>, loaded.seed),
    }));
    const expectations = scenario.expect;
    // Proposals the policy dropped reach nobody: they are scored (for the record) but neither satisfy a must nor count.
    const surfaced = decisions.flatMap((d, i) => (d.outcome === 'drop' ? [] : [i]));
    const dropped = decisions.flatMap((d, i) => (d.outcome === 'drop' ? [i] : []));
    const live = scoreCase(
      surfaced.map((i) => actions[i] as ActionLike),
      expectations,
    );
    const gone = scoreCase(
      dropped.map((i) => actions[i] as ActionLike),
      expectations,
    );
    // Rejected proposals never reach the policy, but one matching a must-not is still the recommender proposing it.
    const rejectedActions: ActionLike[] = rejected.map(({ proposal }) => {
      const params = isRecord(proposal.params) ? proposal.params : {};
      return { type: String(proposal.type), params, names: namesOf(params, loaded.seed) };
    });
    const caughtMustNot = mustNotMatches(rejectedActions, expectations).flatMap((expectation, i) =>
      expectation >= 0 ? [{ type: rejectedActions[i]?.type ?? '', expectation }] : [],
    );
    const verdictOf = new Map<number, CaseScore['verdicts'][number]>();
    surfaced.forEach((i, k) => {
      const v = live.verdicts[k];
      if (v) verdictOf.set(i, v);
    });
    dropped.forEach((i, k) => {
      const v = gone.verdicts[k];
      if (v) verdictOf.set(i, v);
    });
    const proposals: ProposalResult[] = decisions.map((d, i) => {
      const v = verdictOf.get(i) ?? { verdict: 'fp' as const, expectation: -1 };
      const action = actions[i] as ActionLike;
      return {
        type: action.type,
        params: action.params,
        names: action.names ?? {},
        risk: d.proposal.risk,
        confidence: d.proposal.confidence,
        ...(d.calibration?.applied ? { calibratedConfidence: d.calibration.effective } : {}),
        outcome: d.outcome,
        rule: d.rule,
        verdict: v.verdict,
        ...(v.expectation >= 0 ? { expectation: v.expectation } : {}),
      };
    });
    return {
      ...base,
      status: 'decided',
      recommender: result.recommender,
      ...(result.model ? { model: result.model } : {}),
      ...(result.promptVersion ? { promptVersion: result.promptVersion } : {}),
      ...(result.fallback ? { fallback: result.fallback.reason } : {}),
      ...(result.usage ? { usage: result.usage } : {}),
      assessment: result.assessment.slice(0, 1000),
      proposals,
      rejected: rejected
        .slice(0, MAX_REJECTED_LISTED)
        .map((r) => ({ type: String(r.proposal.type).slice(0, 80), reason: r.reason.slice(0, 300) })),
      rejectedCount: rejected.length,
      caughtMustNot,
      missed: live.missed.map((index) => missedOf(expectations, index)),
      ms: ms(),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
    return { ...base, ...empty, status: 'error', reason: `the case could not be run: ${message}`, ms: ms() };
  } finally {
    await sim?.stop().catch(() => undefined);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function missedOf(expectations: readonly Expectation[], index: number): CaseResult['missed'][number] {
  const e = expectations[index] as Expectation;
  return { index, type: e.type, ...(e.params ? { params: e.params } : {}) };
}

/** The names an action's id params are also known by in the case's org (what `expect` may name them by). */
export function namesOf(params: Readonly<Record<string, unknown>>, seed: Seed): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(params)) {
    const kind = REF_PARAMS[key];
    if (!kind || typeof value !== 'string') continue;
    if (kind === 'user') {
      const user = seed.users.find((u) => u.id === value);
      if (user) out[key] = [user.profile.login];
    } else if (kind === 'group') {
      const group = seed.groups.find((g) => g.id === value);
      if (group) out[key] = [group.profile.name];
    } else {
      const app = seed.apps.find((a) => a.id === value);
      if (app) out[key] = [app.label, app.name];
    }
  }
  return out;
}

/** The audit record a previous recommendation would have left: the mover baseline the context builder reads. */
function baseline(
  userId: string,
  profile: Readonly<Record<string, string | number | boolean | null>>,
  event: LogEvent,
): AuditRecord {
  return {
    correlationId: `eval-baseline-${event.uuid}`,
    recordKey: 'recommendation',
    kind: 'recommendation.made',
    at: new Date(Date.parse(event.published) - 86_400_000).toISOString(),
    actor: 'events-consumer',
    summary: 'baseline written by hookpilot eval (the profile as last seen)',
    subjectUserId: userId,
    detail: { profile },
  };
}

/**
 * An audit trail in memory, for one case: the harness is a tool, not a deployment, and the context builder only reads
 * a mover's baseline from it (`bySubject`). Same contract as the DynamoDB one: idempotent appends, newest first by
 * subject.
 */
export class MemoryAuditLog implements AuditLog {
  private readonly records = new Map<string, AuditRecord>();
  async append(records: readonly AuditRecord[]): Promise<void> {
    for (const r of records) if (!this.records.has(auditKeyString(r))) this.records.set(auditKeyString(r), r);
  }
  async existing(keys: readonly { correlationId: string; recordKey: string }[]): Promise<Set<string>> {
    return new Set(keys.map(auditKeyString).filter((k) => this.records.has(k)));
  }
  async byCorrelation(correlationId: string, options: { limit?: number } = {}): Promise<AuditRecord[]> {
    return this.sorted()
      .filter((r) => r.correlationId === correlationId)
      .slice(0, options.limit);
  }
  async bySubject(userId: string, options: { limit?: number; since?: string } = {}): Promise<AuditRecord[]> {
    return this.sorted()
      .reverse()
      .filter((r) => r.subjectUserId === userId && (!options.since || r.at >= options.since))
      .slice(0, options.limit);
  }
  async byTime(from: string, to: string, options: { limit?: number; newestFirst?: boolean } = {}) {
    const within = this.sorted().filter((r) => r.at >= from && r.at <= to);
    return (options.newestFirst ? within.reverse() : within).slice(0, options.limit);
  }
  private sorted(): AuditRecord[] {
    return [...this.records.values()].sort((a, b) => a.at.localeCompare(b.at));
  }
}
