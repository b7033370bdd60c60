import { z } from 'zod';
import type { Calibration } from '../lambda/domain/calibration.ts';
import { ActionSchema, RISK_LEVELS } from '../lambda/domain/catalog.ts';
import { INTENTS, type Intent } from '../lambda/domain/intent.ts';
import type { PolicyConfig } from '../lambda/domain/policy-config.ts';
import { identityOf } from '../lambda/pipeline/process-event.ts';
import { decide } from '../lambda/policy/decide.ts';
import type { AuditLog, AuditRecord } from '../lambda/ports.ts';
import { expectedCalibrationError, type ReliabilityBucket, reliability } from './metrics.ts';

/**
 * Shadow agreement (`hookpilot eval --from-audit`): every human decision on an approval request, joined through the
 * audit trail to the recommendation it came from, and how often the recommender and the humans agreed — per action
 * type and per confidence bucket — plus how many of the human-approved actions the policy would have run on its own at
 * the current thresholds. The evidence a team needs before switching to `autonomous`. Pure except `readHumanDecisions`.
 *
 * The join, all within one event's correlation: `approval:<actionId>:approved|rejected|expired` (the outbox relay's
 * record of the human's decision) → `decision:<actionId>` (the policy's decision: action, risk, stated and calibrated
 * confidence) → `recommendation` (intent, recommender, model, prompt version).
 */

/** What became of an approval request. `expired`: nobody decided (not counted in agreement). */
export type HumanVerdict = 'approved' | 'rejected' | 'expired';

/** One human decision joined to its recommendation. */
export interface HumanDecision {
  readonly correlationId: string;
  readonly actionId: string;
  readonly approvalId?: string;
  readonly type: string;
  readonly action: { readonly type: string; readonly params: Readonly<Record<string, unknown>> };
  readonly risk: string;
  readonly intent: Intent;
  /** The recommender's stated confidence. */
  readonly confidence: number;
  /** What the policy compared with its thresholds, when a calibration applied then. */
  readonly calibratedConfidence?: number;
  readonly recommender: string;
  readonly model?: string;
  readonly promptVersion?: string;
  readonly verdict: HumanVerdict;
  /** When the human decided (or the request expired). */
  readonly at: string;
  /** The mode the policy decided in when it asked (assisted, or autonomous below a threshold). */
  readonly mode?: string;
  /** The policy rule that asked a human. */
  readonly rule?: string;
  /** A rejection's reason (an approver's words: shown to operators, never to the model). */
  readonly reason?: string;
}

const VERDICT_STEPS: Readonly<Record<string, HumanVerdict>> = {
  'approval.approved': 'approved',
  'approval.rejected': 'rejected',
  'approval.expired': 'expired',
};

const DecisionDetail = z.object({
  actionId: z.string(),
  action: z.object({ type: z.string(), params: z.record(z.string(), z.unknown()) }),
  risk: z.string(),
  confidence: z.number(),
  calibratedConfidence: z.number().optional(),
  mode: z.string().optional(),
  rule: z.string().optional(),
  recommender: z.string().optional(),
  model: z.string().optional(),
  promptVersion: z.string().optional(),
});
const RecommendationDetail = z.object({
  intent: z.enum(INTENTS),
  recommender: z.string(),
  model: z.string().optional(),
  promptVersion: z.string().optional(),
});

export interface JoinResult {
  readonly decisions: HumanDecision[];
  /** Approval steps whose decision or recommendation record was not found (or not readable), with why. */
  readonly unjoined: { readonly correlationId: string; readonly recordKey: string; readonly why: string }[];
}

/**
 * Joins the human decisions among `records` (one or several correlations, any order) to their recommendations. A
 * request decided twice is impossible (its state machine), but a record seen twice is counted once.
 */
export function joinHumanDecisions(records: readonly AuditRecord[]): JoinResult {
  const byCorrelation = new Map<string, Map<string, AuditRecord>>();
  for (const r of records) {
    const keys = byCorrelation.get(r.correlationId) ?? new Map<string, AuditRecord>();
    keys.set(r.recordKey, r);
    byCorrelation.set(r.correlationId, keys);
  }
  const decisions: HumanDecision[] = [];
  const unjoined: JoinResult['unjoined'] = [];
  for (const [correlationId, keys] of byCorrelation) {
    for (const [recordKey, record] of keys) {
      const verdict = VERDICT_STEPS[record.kind];
      if (!verdict) continue;
      const actionId = /^approval:(.+):[a-z]+$/.exec(recordKey)?.[1];
      const miss = (why: string) => unjoined.push({ correlationId, recordKey, why });
      if (!actionId) {
        miss('not an approval step record');
        continue;
      }
      const decision = DecisionDetail.safeParse(keys.get(`decision:${actionId}`)?.detail);
      if (!decision.success) {
        miss(`no readable decision:${actionId} record in this event's audit trail`);
        continue;
      }
      const recommendation = RecommendationDetail.safeParse(keys.get('recommendation')?.detail);
      if (!recommendation.success) {
        miss("no readable recommendation record in this event's audit trail");
        continue;
      }
      const d = decision.data;
      const rec = recommendation.data;
      const detail = (record.detail ?? {}) as { approvalId?: unknown; rejectedBy?: { reason?: unknown } };
      const model = d.model ?? rec.model;
      const promptVersion = d.promptVersion ?? rec.promptVersion;
      const reason = detail.rejectedBy?.reason;
      decisions.push({
        correlationId,
        actionId,
        ...(typeof detail.approvalId === 'string' ? { approvalId: detail.approvalId } : {}),
        type: d.action.type,
        action: d.action,
        risk: d.risk,
        intent: rec.intent,
        confidence: d.confidence,
        ...(d.calibratedConfidence !== undefined ? { calibratedConfidence: d.calibratedConfidence } : {}),
        recommender: d.recommender ?? rec.recommender,
        ...(model ? { model } : {}),
        ...(promptVersion ? { promptVersion } : {}),
        verdict,
        at: record.at,
        ...(d.mode ? { mode: d.mode } : {}),
        ...(d.rule ? { rule: d.rule } : {}),
        ...(typeof reason === 'string' ? { reason: reason.slice(0, 300) } : {}),
      });
    }
  }
  decisions.sort((a, b) => a.at.localeCompare(b.at) || a.actionId.localeCompare(b.actionId));
  return { decisions, unjoined };
}

export interface AuditWindow {
  readonly from: string;
  readonly to: string;
  /** The most records read from the window (newest first); the report says when it was reached. */
  readonly limit: number;
}

export interface ReadResult extends JoinResult {
  /** Records read from the window, and whether the limit cut it short. */
  readonly scanned: number;
  readonly truncated: boolean;
}

/**
 * Reads the human decisions of a window from an audit trail: the records of the window (newest first, up to the
 * limit), then each event with an approval step in it, whole (its recommendation and decision may be older than the
 * window).
 */
export async function readHumanDecisions(audit: AuditLog, window: AuditWindow): Promise<ReadResult> {
  const recent = await audit.byTime(window.from, window.to, { limit: window.limit, newestFirst: true });
  const correlations = [...new Set(recent.filter((r) => VERDICT_STEPS[r.kind]).map((r) => r.correlationId))];
  const records: AuditRecord[] = [];
  for (const correlationId of correlations) records.push(...(await audit.byCorrelation(correlationId)));
  // Only the steps inside the window count (an event's trail may hold older or newer decisions).
  const inWindow = records.filter((r) => !VERDICT_STEPS[r.kind] || (r.at >= window.from && r.at <= window.to));
  return { ...joinHumanDecisions(inWindow), scanned: recent.length, truncated: recent.length >= window.limit };
}

// ─── The report ─────────────────────────────────────────────────────────────────────────────────────────────────────

export interface AgreementFigures {
  /** Approved + rejected (what agreement is measured on). */
  readonly decided: number;
  readonly approved: number;
  readonly rejected: number;
  readonly expired: number;
  /** approved / decided: the share of the recommender's proposals the humans agreed with. Null when none decided. */
  readonly agreement: number | null;
  /** Of the decided ones: how many the policy would run on its own now (autonomous mode, current thresholds). */
  readonly wouldAuto: { readonly approved: number; readonly rejected: number };
}

export interface AgreementReport {
  readonly schemaVersion: 1;
  readonly generatedAt: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly source: string;
  readonly scanned: number;
  readonly truncated: boolean;
  readonly unjoined: number;
  /** The recommenders (model/prompt version) the decisions came from, with counts. */
  readonly recommenders: readonly { readonly model: string; readonly promptVersion: string; readonly count: number }[];
  readonly overall: AgreementFigures;
  readonly byActionType: Readonly<Record<string, AgreementFigures>>;
  /**
   * Agreement by stated confidence (ten buckets): `observedPrecision` is the share the humans approved. A recommender
   * whose confidence means something has agreement rising with confidence, close to the diagonal.
   */
  readonly byConfidence: readonly ReliabilityBucket[];
  /** Expected calibration error of the stated confidence against the humans' decisions (null: none decided). */
  readonly ece: number | null;
  /**
   * Human-approved actions the policy would have run without a human at the current thresholds — and rejected ones it
   * would have run (what autonomy would have got wrong).
   */
  readonly autonomous: {
    readonly approvedWouldAuto: number;
    readonly rejectedWouldAuto: number;
    /** approvedWouldAuto / approved: the human work autonomy would have saved. */
    readonly shareOfApproved: number | null;
    /** approvedWouldAuto / (approvedWouldAuto + rejectedWouldAuto): precision of what would have run alone. */
    readonly precision: number | null;
  };
  readonly decisions: readonly (HumanDecision & { readonly wouldAuto: boolean })[];
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/**
 * Whether the policy, in autonomous mode with `policy` (and `calibration`, if given), would run the action without a
 * human. Per-event and per-hour caps are left out: they depend on other events.
 */
export function wouldRunAlone(
  decision: HumanDecision,
  policy: PolicyConfig,
  calibration: Calibration | undefined,
): boolean {
  const action = ActionSchema.safeParse(decision.action);
  if (!action.success) return false;
  const risk = (RISK_LEVELS as readonly string[]).includes(decision.risk)
    ? (decision.risk as (typeof RISK_LEVELS)[number])
    : 'critical';
  const [verdict] = decide(
    [{ action: action.data, risk, confidence: decision.confidence, rationale: '', evidence: [] }],
    {
      mode: 'autonomous',
      policy,
      intent: decision.intent,
      ...(calibration ? { calibration } : {}),
      recommendedBy: identityOf({
        recommender: decision.recommender,
        ...(decision.model ? { model: decision.model } : {}),
        ...(decision.promptVersion ? { promptVersion: decision.promptVersion } : {}),
      }),
    },
  );
  return verdict?.outcome === 'auto';
}

function figures(rows: readonly (HumanDecision & { wouldAuto: boolean })[]): AgreementFigures {
  const approved = rows.filter((r) => r.verdict === 'approved');
  const rejected = rows.filter((r) => r.verdict === 'rejected');
  return {
    decided: approved.length + rejected.length,
    approved: approved.length,
    rejected: rejected.length,
    expired: rows.filter((r) => r.verdict === 'expired').length,
    agreement: ratio(approved.length, approved.length + rejected.length),
    wouldAuto: {
      approved: approved.filter((r) => r.wouldAuto).length,
      rejected: rejected.filter((r) => r.wouldAuto).length,
    },
  };
}

export function agreementReport(
  read: ReadResult,
  options: {
    readonly policy: PolicyConfig;
    readonly calibration?: Calibration;
    readonly window: { from: string; to: string };
    readonly source: string;
    readonly now?: Date;
  },
): AgreementReport {
  const rows = read.decisions.map((d) => ({ ...d, wouldAuto: wouldRunAlone(d, options.policy, options.calibration) }));
  const decided = rows.filter((r) => r.verdict !== 'expired');
  const points = decided.map((r) => ({ confidence: r.confidence, correct: r.verdict === 'approved' }));
  const overall = figures(rows);
  const identities = new Map<string, { model: string; promptVersion: string; count: number }>();
  for (const r of rows) {
    const id = identityOf({
      recommender: r.recommender,
      ...(r.model ? { model: r.model } : {}),
      ...(r.promptVersion ? { promptVersion: r.promptVersion } : {}),
    });
    const model = id.model ?? 'unknown';
    const promptVersion = id.promptVersion ?? 'unknown';
    const key = `${model}\u0000${promptVersion}`;
    const entry = identities.get(key) ?? { model, promptVersion, count: 0 };
    entry.count += 1;
    identities.set(key, entry);
  }
  return {
    schemaVersion: 1,
    generatedAt: (options.now ?? new Date()).toISOString(),
    window: options.window,
    source: options.source,
    scanned: read.scanned,
    truncated: read.truncated,
    unjoined: read.unjoined.length,
    recommenders: [...identities.values()].sort((a, b) => b.count - a.count),
    overall,
    byActionType: Object.fromEntries(
      [...new Set(rows.map((r) => r.type))].sort().map((type) => [type, figures(rows.filter((r) => r.type === type))]),
    ),
    byConfidence: reliability(points),
    ece: expectedCalibrationError(points),
    autonomous: {
      approvedWouldAuto: overall.wouldAuto.approved,
      rejectedWouldAuto: overall.wouldAuto.rejected,
      shareOfApproved: ratio(overall.wouldAuto.approved, overall.approved),
      precision: ratio(overall.wouldAuto.approved, overall.wouldAuto.approved + overall.wouldAuto.rejected),
    },
    decisions: rows,
  };
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

/** The terminal summary of an agreement report. */
export function agreementLines(report: AgreementReport): string[] {
  const o = report.overall;
  const lines = [
    `Shadow agreement: human decisions on approval requests, ${report.window.from} → ${report.window.to} (${report.source})`,
    `  ${o.decided} decided (${o.approved} approved, ${o.rejected} rejected), ${o.expired} expired; agreement ${pct(o.agreement)}`,
  ];
  if (report.recommenders.length > 0) {
    lines.push(
      `  recommenders: ${report.recommenders.map((r) => `${r.model}/prompt ${r.promptVersion} (${r.count})`).join(', ')}`,
    );
  }
  if (report.truncated) {
    lines.push(
      `  note: only the newest ${report.scanned} records of the window were read; narrow --since or raise --limit`,
    );
  }
  if (report.unjoined > 0)
    lines.push(`  note: ${report.unjoined} approval step(s) could not be joined to a recommendation`);
  if (o.decided + o.expired === 0)
    return [...lines, '  nothing to compare yet: no approval request was decided in this window'];
  lines.push(
    '',
    '  By action type                 decided  approved  rejected  agreement  would run alone (approved/rejected)',
  );
  for (const [type, f] of Object.entries(report.byActionType)) {
    lines.push(
      `  ${type.padEnd(30)} ${String(f.decided).padStart(7)}  ${String(f.approved).padStart(8)}  ${String(f.rejected).padStart(8)}  ${pct(f.agreement).padStart(9)}  ${f.wouldAuto.approved}/${f.wouldAuto.rejected}`,
    );
  }
  lines.push('', '  By stated confidence   decided  mean confidence  humans approved');
  for (const b of report.byConfidence) {
    if (b.count === 0) continue;
    lines.push(
      `  ${`${b.from.toFixed(1)}–${b.to.toFixed(1)}`.padEnd(22)} ${String(b.count).padStart(7)}  ${(b.meanConfidence ?? 0).toFixed(2).padStart(15)}  ${pct(b.observedPrecision).padStart(15)}`,
    );
  }
  const a = report.autonomous;
  lines.push(
    '',
    `  Calibration against the humans: ECE ${report.ece === null ? '—' : report.ece.toFixed(3)}`,
    `  At the current thresholds (autonomous mode), the policy would have run ${a.approvedWouldAuto} of the ${o.approved} approved action(s) without a human (${pct(a.shareOfApproved)}),`,
    `  and ${a.rejectedWouldAuto} that a human rejected: precision of what would have run alone ${pct(a.precision)}.`,
  );
  return lines;
}

/** A human decision as a calibration outcome: approved is right, rejected is wrong (leave expired ones out). */
export const outcomeOf = (d: Pick<HumanDecision, 'type' | 'confidence' | 'verdict'>) => ({
  type: d.type,
  confidence: d.confidence,
  correct: d.verdict === 'approved',
});
