/**
 * The names of the model settings, on their own (no imports), so that the stack and the local stack can name them
 * without loading the OpenAI client. `llm-config.ts` reads them.
 */
export const LLM_ENV = {
  apiKey: 'OPENAI_API_KEY',
  apiKeySecretArn: 'HOOKPILOT_OPENAI_API_KEY_SECRET_ARN',
  baseUrl: 'OPENAI_BASE_URL',
  model: 'HOOKPILOT_MODEL',
  timeoutMs: 'HOOKPILOT_LLM_TIMEOUT_MS',
  maxRetries: 'HOOKPILOT_LLM_MAX_RETRIES',
  maxRetryWaitMs: 'HOOKPILOT_LLM_MAX_RETRY_WAIT_MS',
} as const;
