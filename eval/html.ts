import { escapeHtml } from '../lambda/console/html.ts';
import { BUCKETS, describeParams, type EvalReport, type Figures, fmt, wrongOnes } from './report.ts';

/**
 * The HTML report: one self-contained file (inline CSS, inline SVG charts, no script, nothing fetched), so it opens
 * anywhere and renders without a browser-side dependency. Every piece of text is escaped: scenario titles, profile
 * values and model output may carry injected instructions or markup.
 */

const e = escapeHtml;
const pct = (n: number | null) => (n === null ? '—' : `${(n * 100).toFixed(1)}%`);

const CSS = `
:root { --ok:#1f7a4d; --bad:#b42318; --warn:#b54708; --muted:#667085; --line:#d0d5dd; --bg:#f8f9fb; --ink:#101828; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { color: var(--muted); margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--bg); }
.card .v { font-size: 26px; font-weight: 650; } .card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .s { color: var(--muted); font-size: 12px; }
.card.first { border-color: var(--ok); } .card.alarm { border-color: var(--bad); background: #fef3f2; } .card.alarm .v { color: var(--bad); }
.pair { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 12px; margin-top: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #eaecf0; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; } th { color: var(--muted); font-weight: 600; }
td.bad { color: var(--bad); font-weight: 650; }
table.slices th { white-space: normal; vertical-align: bottom; } table.slices th, table.slices td { padding: 4px 6px; }
.charts { display: grid; grid-template-columns: 460px 1fr; gap: 24px; align-items: start; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
ul.wrong { padding-left: 18px; } ul.wrong li { margin: 2px 0; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px; background: #eef2f6; color: #344054; margin-right: 4px; }
.v-violation { color: var(--bad); font-weight: 650; } .v-fp { color: var(--warn); } .v-tp { color: var(--ok); } .v-acceptable { color: var(--muted); }
details { border-bottom: 1px solid #eaecf0; padding: 4px 0; } summary { cursor: pointer; }
details .body { padding: 6px 0 8px 18px; color: #344054; }
code { font-size: 12px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
`;

/** The reliability diagram: observed precision per confidence bucket (bars) against the diagonal (perfect calibration). */
export function reliabilitySvg(figures: Figures, threshold: number): string {
  const W = 440;
  const H = 330;
  const left = 46;
  const bottom = 40;
  const top = 14;
  const right = 12;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const x = (v: number) => left + v * pw;
  const y = (v: number) => top + (1 - v) * ph;
  const parts: string[] = [];
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    parts.push(
      `<line x1="${x(0)}" x2="${x(1)}" y1="${y(v)}" y2="${y(v)}" stroke="#eaecf0"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#667085">${v.toFixed(1)}</text>`,
      `<text x="${x(v)}" y="${H - bottom + 16}" text-anchor="middle" font-size="11" fill="#667085">${v.toFixed(1)}</text>`,
    );
  }
  const bw = pw / BUCKETS;
  for (const [i, b] of figures.reliability.entries()) {
    if (b.count === 0 || b.observedPrecision === null) continue;
    // At least 2 px: a bucket where nothing was right is a red sliver, not an empty column.
    const h = Math.max(2, b.observedPrecision * ph);
    const gap = b.meanConfidence !== null ? Math.abs(b.observedPrecision - b.meanConfidence) : 0;
    const fill = gap > 0.2 ? '#f97066' : gap > 0.1 ? '#fdb022' : '#47b881';
    parts.push(
      `<rect x="${(x(0) + i * bw + 2).toFixed(1)}" y="${(y(0) - h).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}" opacity="0.85"><title>${e(
        `${b.from.toFixed(1)}–${b.to.toFixed(1)}: ${b.count} proposals, mean confidence ${fmt(b.meanConfidence)}, observed precision ${fmt(b.observedPrecision)}`,
      )}</title></rect>`,
      `<text x="${(x(0) + i * bw + bw / 2).toFixed(1)}" y="${(y(0) - h - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#344054">n=${b.count}</text>`,
    );
    if (b.meanConfidence !== null) {
      parts.push(
        `<circle cx="${x(b.meanConfidence).toFixed(1)}" cy="${y(b.observedPrecision).toFixed(1)}" r="3" fill="#101828"/>`,
      );
    }
  }
  parts.push(
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#101828" stroke-dasharray="5 4" stroke-width="1.2"/>`,
    `<line x1="${x(threshold)}" y1="${y(0)}" x2="${x(threshold)}" y2="${y(1)}" stroke="#155eef" stroke-width="1.2"/>`,
    `<text x="${x(threshold) - 4}" y="${y(1) + 12}" text-anchor="end" font-size="11" fill="#155eef">auto threshold ${e(threshold)}</text>`,
    `<rect x="${x(0)}" y="${y(1)}" width="${pw}" height="${ph}" fill="none" stroke="#98a2b3"/>`,
    `<text x="${left + pw / 2}" y="${H - 6}" text-anchor="middle" font-size="12" fill="#344054">stated confidence</text>`,
    `<text transform="translate(13 ${top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#344054">observed precision</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Reliability diagram">${parts.join('')}</svg>`;
}

const COLORS = { tp: '#47b881', acceptable: '#c0c6cf', fp: '#fdb022', violation: '#d92d20', fn: '#ffffff' } as const;

/** The confusion breakdown per action type: stacked bars of right, acceptable, wrong, must-not and missed. */
export function confusionSvg(byType: Readonly<Record<string, Figures>>): string {
  const rows = Object.entries(byType);
  const W = 640;
  const label = 170;
  const rowH = 24;
  const H = rows.length * rowH + 10;
  const max = Math.max(1, ...rows.map(([, f]) => f.truePositives + f.acceptable + f.falsePositives + f.falseNegatives));
  const scale = (W - label - 60) / max;
  const parts: string[] = [];
  rows.forEach(([type, f], i) => {
    const yy = 4 + i * rowH;
    parts.push(
      `<text x="${label - 8}" y="${yy + 15}" text-anchor="end" font-size="12" fill="#101828">${e(type)}</text>`,
    );
    let xx = label;
    const seg = (n: number, color: string, what: string, stroke = 'none') => {
      if (n <= 0) return;
      const w = n * scale;
      parts.push(
        `<rect x="${xx.toFixed(1)}" y="${yy + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${color}" stroke="${stroke}"><title>${e(`${type}: ${n} ${what}`)}</title></rect>`,
      );
      xx += w;
    };
    seg(f.truePositives, COLORS.tp, 'right (must)');
    seg(f.acceptable, COLORS.acceptable, 'acceptable');
    seg(f.falsePositives - f.violations, COLORS.fp, 'false positive');
    seg(f.violations, COLORS.violation, 'must-not violation');
    seg(f.falseNegatives, COLORS.fn, 'missed (must not proposed)', '#98a2b3');
    parts.push(
      `<text x="${(xx + 6).toFixed(1)}" y="${yy + 15}" font-size="11" fill="#667085">${f.truePositives}/${f.truePositives + f.falseNegatives}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Confusion breakdown per action type">${parts.join('')}</svg>`;
}

function slicesTable(slices: Readonly<Record<string, Figures>>, first: string): string {
  const head = `<tr><th>${e(first)}</th><th>cases</th><th>right</th><th>acceptable</th><th>false pos.</th><th>must-not</th><th title="must-not proposals validation rejected">must-not caught</th><th>missed</th><th>precision</th><th>recall</th><th>wrong auto</th><th>prec. ≥ thr.</th><th>prec. auto</th><th>automation</th><th>ECE</th></tr>`;
  const rows = Object.entries(slices)
    .map(
      ([name, f]) =>
        `<tr><td>${e(name)}</td><td>${f.cases}</td><td>${f.truePositives}</td><td>${f.acceptable}</td><td>${f.falsePositives - f.violations}</td><td${f.violations > 0 ? ' class="bad"' : ''}>${f.violations}</td><td>${f.mustNotCaughtByValidation}</td><td>${f.falseNegatives}</td><td>${fmt(f.precision)}</td><td>${fmt(f.recall)}</td><td${f.wrongAuto > 0 ? ' class="bad"' : ''}>${f.wrongAuto}</td><td>${fmt(f.precisionAtThreshold.precision)} <small>(${f.precisionAtThreshold.count})</small></td><td>${fmt(f.autoPrecision)} <small>(${f.rightAuto + f.wrongAuto})</small></td><td>${pct(f.automationRate)}</td><td>${fmt(f.ece, 3)}</td></tr>`,
    )
    .join('');
  return `<table class="slices">${head}${rows}</table>`;
}

function card(key: string, value: string, sub: string, cls = ''): string {
  return `<div class="card ${cls}"><div class="k">${e(key)}</div><div class="v">${e(value)}</div><div class="s">${e(sub)}</div></div>`;
}

/** The whole report as one HTML document. */
export function renderHtml(report: EvalReport): string {
  const { overall: o, run, cases } = report;
  const title = `hookpilot eval: ${run.recommender}${run.model ? ` (${run.model})` : ''}, ${cases.total} cases`;
  const cards = [
    card(
      'Must-not violations',
      String(o.violations),
      `${o.violations > 0 ? `${o.violationsAuto} would have run automatically` : 'none reached a human or the executor'}; ${o.mustNotCaughtByValidation} more caught by validation`,
      o.violations > 0 ? 'alarm' : 'first',
    ),
    card(
      'Wrong automatic actions',
      String(o.wrongAuto),
      'false positives the policy would have run',
      o.wrongAuto > 0 ? 'alarm' : '',
    ),
    card('Precision', fmt(o.precision), `${o.truePositives} right of ${o.truePositives + o.falsePositives} counted`),
    card('Recall', fmt(o.recall), `${o.truePositives} of ${o.truePositives + o.falseNegatives} musts proposed`),
  ].join('');
  const pair = [
    card(
      `Precision at the auto threshold (≥ ${run.threshold})`,
      fmt(o.precisionAtThreshold.precision),
      `${o.precisionAtThreshold.count} proposals at or above the threshold`,
    ),
    card(
      'Precision of automatic actions',
      fmt(o.autoPrecision),
      `${o.rightAuto} right of ${o.rightAuto + o.wrongAuto} the policy would run alone`,
    ),
    card(
      'Automation rate',
      pct(o.automationRate),
      `${o.decisions.auto} automatic, ${o.decisions.approval} to a human, ${o.decisions.drop} dropped (the figure vendors quote)`,
    ),
  ].join('');
  const reliabilityRows = o.reliability
    .map(
      (b) =>
        `<tr><td>${b.from.toFixed(1)}–${b.to.toFixed(1)}</td><td>${b.count}</td><td>${fmt(b.meanConfidence)}</td><td>${fmt(b.observedPrecision)}</td></tr>`,
    )
    .join('');
  const wrong = wrongOnes(report);
  const wrongList =
    wrong.length === 0
      ? '<p>None: no must-not was proposed, and nothing wrong would have run automatically.</p>'
      : `<ul class="wrong">${wrong
          .map(
            (w) =>
              `<li><span class="${w.kind === 'violation' ? 'v-violation' : 'v-fp'}">${w.kind === 'violation' ? 'must-not' : 'wrong auto'}</span> <code>${e(w.case)}</code>: ${e(w.text)}</li>`,
          )
          .join('')}</ul>`;
  const caseDetails = report.results
    .map((r) => {
      const bad = r.proposals.filter((p) => p.outcome !== 'drop' && (p.verdict === 'violation' || p.verdict === 'fp'));
      const flag =
        r.status === 'error'
          ? '<span class="v-violation">error</span>'
          : r.proposals.some((p) => p.outcome !== 'drop' && p.verdict === 'violation')
            ? '<span class="v-violation">must-not</span>'
            : bad.length > 0 || r.missed.length > 0
              ? '<span class="v-fp">imperfect</span>'
              : '<span class="v-tp">ok</span>';
      const proposals = r.proposals
        .map(
          (p) =>
            `<li><span class="v-${p.verdict}">${e(p.verdict)}</span> ${e(p.type)} ${e(describeParams(p.params, p.names))} · confidence ${e(p.confidence)} · ${e(p.outcome)} (${e(p.rule)})</li>`,
        )
        .join('');
      const missed = r.missed
        .map((m) => `<li><span class="v-fp">missed</span> ${e(m.type)} ${e(JSON.stringify(m.params ?? {}))}</li>`)
        .join('');
      return `<details><summary>${flag} <code>${e(r.id)}</code> ${e(r.title)} ${r.tags.map((t) => `<span class="tag">${e(t)}</span>`).join('')}</summary><div class="body"><div>${e(r.file)} · ${e(r.status)}${r.reason ? `: ${e(r.reason)}` : ''}${r.assessment ? ` · ${e(r.assessment)}` : ''}</div><ul>${proposals}${missed}</ul></div></details>`;
    })
    .join('');
  const tokens = report.run.tokens ? `${report.run.tokens.total} tokens` : 'no model tokens';
  const cost = report.run.costUsd !== null ? ` · $${report.run.costUsd.toFixed(4)}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${e(title)}</h1>
<p class="meta">Mode ${e(run.mode)} · policy ${e(run.policy)} · ${cases.decided} decided, ${cases.skipped} skipped, ${cases.errors} error(s) · ${(run.durationMs / 1000).toFixed(1)} s · ${e(tokens)}${e(cost)} · ${e(report.generatedAt)}</p>
<div class="cards">${cards}</div>
<div class="pair">${pair}</div>
<h2>Calibration: does the stated confidence mean anything?</h2>
<div class="charts"><div>${reliabilitySvg(o, run.threshold)}
<div class="legend"><span><i style="background:#47b881"></i>within 0.1 of the diagonal</span><span><i style="background:#fdb022"></i>0.1–0.2 off</span><span><i style="background:#f97066"></i>more than 0.2 off</span><span>● mean confidence</span><span>- - perfect calibration</span></div></div>
<div><p>Expected calibration error <b>${fmt(o.ece, 3)}</b> over ${o.calibrated} proposals (${BUCKETS} equal-width buckets, weighted by count).</p>
<table><tr><th>confidence</th><th>count</th><th>mean confidence</th><th>observed precision</th></tr>${reliabilityRows}</table></div></div>
<h2>Confusion breakdown per action type</h2>
<div class="legend"><span><i style="background:${COLORS.tp}"></i>right (must)</span><span><i style="background:${COLORS.acceptable}"></i>acceptable</span><span><i style="background:${COLORS.fp}"></i>false positive</span><span><i style="background:${COLORS.violation}"></i>must-not violation</span><span><i style="background:#fff;border:1px solid #98a2b3"></i>missed</span></div>
${confusionSvg(report.byActionType)}
${slicesTable(report.byActionType, 'action type')}
<h2>By intent</h2>
${slicesTable(report.byIntent, 'intent')}
<h2>Wrong, and would have reached someone</h2>
${wrongList}
<h2>Every case</h2>
${caseDetails}
<footer>Generated by <code>hookpilot eval</code>. Counted: proposals the policy did not drop. Precision = right / (right + false positives); a must-not is also a false positive; acceptable proposals are not counted. See docs/evaluation.md.</footer>
</main></body></html>
`;
}
