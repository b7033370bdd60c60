import type { GroupFact, RecommendationContext } from '../../lambda/domain/recommendation.ts';
import type { ConfidenceLevel } from '../../local/openai-stub/index.ts';
import { salesJoinerContext } from './contexts.ts';

/**
 * Contexts and statistics for testing calibration measurements against the OpenAI stub's mis-calibrated modes.
 */

const id = (prefix: '00g' | '0oa', name: string, i: number) =>
  `${prefix}${name.toUpperCase()}${String(i).padStart(17 - name.length, '0')}`;

const GROUP_SHARES = [1, 0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.05];
const APP_SHARES = [1, 0.9, 0.7, 0.2, 0.1, 0.05];

/**
 * Joiner number `i`: peers hold eight ordinary groups and six apps at falling shares, so the rules recommender proposes
 * four groups and three apps (shares ≥ 0.6) and the other four groups and three apps are plausible wrong answers. Every
 * context has its own event uuid (so the stub's draws differ).
 */
export function joinerContext(i: number): RecommendationContext {
  const base = salesJoinerContext();
  const groups: (GroupFact & { holders: number; share: number })[] = GROUP_SHARES.map((share, k) => ({
    id: id('00g', `team${k}`, k),
    name: `team-${k}`,
    type: 'OKTA_GROUP',
    holders: Math.round(share * 20),
    share,
  }));
  const apps = APP_SHARES.map((share, k) => ({
    id: id('0oa', `app${k}`, k),
    label: `App ${k}`,
    holders: Math.round(share * 20),
    share,
  }));
  return {
    ...base,
    event: { ...base.event, uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
    peers: { basis: { department: 'Sales' }, sampled: 20, groups, apps },
    candidateGroups: [],
  };
}

/**
 * How far a measured ECE may be from a mode's designed ECE with `n` samples: three standard errors of
 *
 *     ECE_hat − ECE = Σ_k (ŵ_k − w_k)·|c_k − p_k|  +  Σ_k ŵ_k·(|c_k − p̂_k| − |c_k − p_k|)
 *
 * The first term's standard error is at most Σ_k |c_k − p_k|·√(w_k(1 − w_k)/n) (the bin shares ŵ_k are binomial),
 * the second's at most Σ_k √(w_k·p_k(1 − p_k)/n) (each bin's accuracy p̂_k over n·w_k draws; |·| only shrinks it).
 * The bound covers the small upward bias of ECE_hat too (it is at most E|p̂_k − p_k| per bin).
 */
export function eceTolerance(levels: readonly ConfidenceLevel[], n: number): number {
  const weights = levels.reduce(
    (sum, l) => sum + Math.abs(l.confidence - l.accuracy) * Math.sqrt(l.weight * (1 - l.weight)),
    0,
  );
  const accuracies = levels.reduce((sum, l) => sum + Math.sqrt(l.weight * l.accuracy * (1 - l.accuracy)), 0);
  return (3 * (weights + accuracies)) / Math.sqrt(n);
}
