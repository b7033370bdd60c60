import { logger } from '../log.ts';
import type { Recommender } from '../ports.ts';
import { FallbackRecommender } from './fallback.ts';
import { describeLlmSettings, isModelConfigured, llmRecommenderOptions, llmSettings } from './llm-config.ts';
import { LlmRecommender } from './llm-recommender.ts';
import { RulesRecommender } from './rules-recommender.ts';

/**
 * The recommender in effect: the deterministic rules when no model is configured; otherwise the model, with the rules
 * answering whenever the model fails or times out (the audit trail records why).
 */
export function chooseRecommender(): { recommender: Recommender; description: string } {
  const rules = new RulesRecommender();
  if (!isModelConfigured()) return { recommender: rules, description: 'rules (no model configured)' };
  const settings = llmSettings();
  const llm = new LlmRecommender(llmRecommenderOptions(settings));
  return {
    recommender: new FallbackRecommender(llm, rules, {
      onFallback: (failure) =>
        logger.warn('model call failed; the rules recommender answered', { reason: failure.reason }),
    }),
    description: `${describeLlmSettings(settings)}; rules as fallback`,
  };
}
