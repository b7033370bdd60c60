import type { PolicyConfig } from '../domain/policy-config.ts';
import type { RecommendationContext, RecommendationResult } from '../domain/recommendation.ts';
import type { Recommender } from '../ports.ts';
import { type ModelFailure, toModelFailure } from './llm-recommender.ts';

export interface FallbackOptions {
  /**
   * Called when the primary failed, e.g. for a log line or a metric. It gets the `ModelFailure` (safe to log: a short
   * reason, the HTTP status, the request id and the error class, never the provider's text). Errors it throws are ignored.
   */
  readonly onFallback?: (failure: ModelFailure) => void;
}

/**
 * The model first; when it fails in any way (a `ModelFailure`, or anything else), the rules recommender's answer with
 * `fallback: { from: 'llm', reason }`, so the pipeline can audit why the model did not answer. A failure of the
 * fallback itself propagates (the event is then retried from the queue).
 */
export class FallbackRecommender implements Recommender {
  readonly name: Recommender['name'];

  constructor(
    private readonly primary: Recommender,
    private readonly fallback: Recommender,
    private readonly options: FallbackOptions = {},
  ) {
    this.name = primary.name;
  }

  async recommend(context: RecommendationContext, policy: PolicyConfig): Promise<RecommendationResult> {
    try {
      return await this.primary.recommend(context, policy);
    } catch (error) {
      const failure = toModelFailure(error);
      try {
        this.options.onFallback?.(failure);
      } catch {
        // a broken observer must not cost the recommendation
      }
      const result = await this.fallback.recommend(context, policy);
      return { ...result, fallback: { from: 'llm', reason: failure.reason } };
    }
  }
}
