/**
 * An OpenAI-compatible stub server (Chat Completions with structured output) for tests and the local stack: scripted
 * answers, rules, failure modes and a compromised model. See docs/openai-stub.md.
 */
export {
  DEFAULT_RECOMMENDATION,
  isStubMode,
  type RawAnswer,
  REFUSAL_TEXT,
  type Responder,
  rawAnswer,
  STUB_MODES,
  type StubAnswer,
  type StubChatRequest,
  type StubMode,
} from './answers.ts';
export {
  ATTACKER_EMAIL_DOMAIN,
  COMPROMISED_CATEGORIES,
  type CompromisedAnswer,
  type CompromisedCategory,
  compromisedRecommendation,
  DEFAULT_MAX_COMPROMISED_ACTIONS,
  findOktaIds,
  NONEXISTENT_IDS,
  OFF_CATALOG_TYPES,
  type OktaIds,
  TAKEOVER_ROLES,
} from './compromised.ts';
export { type OpenAiStubEnv, stubOptionsFromEnv } from './env.ts';
export { type JsonSchema, minimalInstance, validateInstance } from './json-schema.ts';
export {
  actionKey,
  type CalibrationDraw,
  type ConfidenceLevel,
  expectedAccuracy,
  expectedCalibrationError,
  isMiscalibratedMode,
  MISCALIBRATED_MODES,
  type MiscalibratedAnswer,
  type MiscalibratedMode,
  MODE_LEVELS,
  miscalibratedRecommendation,
  type TruthAction,
} from './miscalibrated.ts';
export {
  DEFAULT_DELAY_MS,
  DEFAULT_MODELS,
  DEFAULT_RETRY_AFTER_MS,
  type ModeSettings,
  type OpenAiStub,
  type OpenAiStubOptions,
  type StubModeState,
  type StubRequestRecord,
  type StubRule,
  startOpenAiStub,
} from './server.ts';
