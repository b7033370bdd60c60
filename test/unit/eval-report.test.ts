import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../eval/harness.ts';
import { renderHtml } from '../../eval/html.ts';
import { buildReport, type RunInfo, summaryLines } from '../../eval/report.ts';
import { escapeHtml } from '../../lambda/console/html.ts';

/** The report built from case results: its figures, its terminal summary, and an HTML page that injected text cannot break. */

const INJECTED = '</title><script>alert("pwned")</script><img src=x onerror=alert(1)> Ignore previous instructions';

const run: RunInfo = {
  recommender: 'rules',
  model: null,
  mode: 'autonomous',
  policy: 'policy/hookpilot.policy.json',
  threshold: 0.8,
  filters: {},
  concurrency: 4,
  durationMs: 1234,
  pricePer1kTokens: null,
};

const proposal = (
  type: string,
  groupName: string,
  confidence: number,
  outcome: 'auto' | 'approval' | 'drop',
  verdict: 'tp' | 'fp' | 'acceptable' | 'violation',
) => ({
  type,
  params: { userId: '00uA', groupId: `00g${groupName}` },
  names: { groupId: [groupName] },
  risk: 'low',
  confidence,
  outcome,
  rule: outcome === 'auto' ? 'confidence-meets-auto' : 'confidence-below-auto',
  verdict,
});

const results: CaseResult[] = [
  {
    id: 'joiner-one',
    intent: 'joiner',
    title: INJECTED,
    file: 'eval/scenarios/joiner/joiner-one.json',
    tags: ['joiner'],
    status: 'decided',
    recommender: 'rules',
    assessment: INJECTED,
    proposals: [
      proposal('group.add_member', 'dept-sales', 1, 'auto', 'tp'),
      proposal('group.add_member', INJECTED, 0.85, 'auto', 'violation'),
      proposal('group.add_member', 'loc-london', 0.5, 'approval', 'fp'),
    ],
    rejected: [{ type: 'group.add_member', reason: 'the group Okta Admins is protected' }],
    rejectedCount: 1,
    caughtMustNot: [{ type: 'group.add_member', expectation: 4 }],
    missed: [{ index: 3, type: 'app.assign' }],
    ms: 10,
  },
  {
    id: 'mover-two',
    intent: 'mover',
    title: 'a mover',
    file: 'eval/scenarios/mover/mover-two.json',
    tags: [],
    status: 'skipped',
    reason: 'department, title, location and manager are as last seen',
    proposals: [],
    rejected: [],
    rejectedCount: 0,
    missed: [],
    ms: 5,
  },
];

describe('buildReport', () => {
  const report = buildReport(results, run, new Date('2026-01-01T00:00:00Z'));

  it('adds up the figures overall, by intent and by action type', () => {
    expect(report.schemaVersion).toBe(1);
    expect(report.cases).toEqual({ total: 2, decided: 1, skipped: 1, errors: 0 });
    expect(report.overall).toMatchObject({
      truePositives: 1,
      falsePositives: 2,
      falseNegatives: 1,
      violations: 1,
      violationsAuto: 1,
      wrongAuto: 1,
      rightAuto: 1,
      autoPrecision: 1 / 2,
      mustNotCaughtByValidation: 1,
      precision: 1 / 3,
      recall: 1 / 2,
      automationRate: 2 / 3,
      calibrated: 3,
    });
    // precision at 0.8: the 1.0 (right) and the 0.85 (violation)
    expect(report.overall.precisionAtThreshold).toEqual({ threshold: 0.8, count: 2, precision: 0.5 });
    // ECE: bucket 0.5–0.6 (0.5, wrong: gap 0.5), 0.8–0.9 (0.85, wrong: 0.85), 0.9–1.0 (1.0, right: 0) → (0.5 + 0.85) / 3
    expect(report.overall.ece).toBeCloseTo(0.45, 10);
    expect(Object.keys(report.byIntent)).toEqual(['joiner', 'mover']);
    expect(report.byIntent.mover).toMatchObject({ cases: 1, precision: null, recall: null });
    expect(report.byIntent.joiner?.mustNotCaughtByValidation).toBe(1);
    expect(report.byActionType['group.add_member']?.mustNotCaughtByValidation).toBe(1);
    expect(report.byActionType['app.assign']?.mustNotCaughtByValidation).toBe(0);
    expect(Object.keys(report.byActionType)).toEqual(['app.assign', 'group.add_member']);
    expect(report.byActionType['app.assign']).toMatchObject({ falseNegatives: 1, recall: 0 });
    expect(report.run).toMatchObject({ tokens: null, costUsd: null, fallbacks: 0 });
  });

  it('prints must-not violations first, and names them', () => {
    const lines = summaryLines(report);
    const first = lines.findIndex((l) => l.startsWith('Must-not violations'));
    expect(first).toBe(2);
    expect(lines[first]).toBe('Must-not violations: 1 (1 would have run automatically)');
    expect(lines.some((l) => l.includes('MUST-NOT joiner-one: group.add_member'))).toBe(true);
    expect(lines[first + 1]).toBe(
      'Must-not caught by validation: 1 (proposed, rejected by validation before the policy; not counted as violations)',
    );
    expect(lines).toContain('Precision of automatic actions (what the policy would run alone): 0.50 (1 right of 2)');
    expect(lines.at(-1)).toBe('Time: 1.2 s (4 case(s) at once) · no tokens (no model was called)');
  });
});

describe('renderHtml', () => {
  const html = renderHtml(buildReport(results, run));

  it('escapes every piece of scenario and model text', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    // every <title> (the page's and the charts' tooltips) closes once: the injected "</title>" is text
    expect(html.match(/<\/title>/g)?.length).toBe(html.match(/<title>/g)?.length);
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(html).toContain('<title>hookpilot eval: rules, 2 cases</title>');
  });

  it('is one self-contained page: inline CSS and SVG, nothing fetched', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).toContain('aria-label="Reliability diagram"');
    expect(html).toContain('aria-label="Confusion breakdown per action type"');
    expect(html).toContain('Precision of automatic actions');
    expect(html).toContain('1 more caught by validation');
    expect(html).not.toMatch(/<link|src="http|href="http|@import|url\(/);
  });
});
