import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger for every function. Never pass it headers, hook secrets, tokens, API keys or passwords:
 * log ids and counts, not payloads.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hookpilot' });
