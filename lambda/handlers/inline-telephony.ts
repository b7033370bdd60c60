import { ENV, requiredEnv } from '../config.ts';
import { TelephonyRequestSchema } from '../okta/inline-telephony.ts';
import { deliverOtp } from '../pipeline/deliver-otp.ts';
import type { TelephonyProvider } from '../ports.ts';
import { dynamoDocumentClient } from '../store/aws-clients.ts';
import { DynamoRateLimiter } from '../store/rate-limits.ts';
import { loadTelephonyConfig, type TelephonyConfig } from '../telephony/config.ts';
import { createProvider } from '../telephony/providers.ts';
import { inlineHookHandler } from './inline-hook.ts';

/**
 * `POST /okta/inline/telephony`: rate limits, route by number prefix, the route's providers in failover order inside the
 * budget; `SUCCESSFUL` only once one accepted the message, else the error that makes Okta send the OTP itself.
 */
const limiter = new DynamoRateLimiter(
  dynamoDocumentClient(),
  requiredEnv(ENV.rateLimitsTable, 'the name of the rate-limits DynamoDB table'),
);

// Providers are rebuilt only when the configuration (re-read from its cached secret) changes.
let built: { config: TelephonyConfig; providers: Map<string, TelephonyProvider> } | undefined;
function providersFor(config: TelephonyConfig): Map<string, TelephonyProvider> {
  if (built?.config !== config) {
    built = {
      config,
      providers: new Map(Object.entries(config.providers).map(([name, c]) => [name, createProvider(name, c)])),
    };
  }
  return built.providers;
}

export const handler = inlineHookHandler({
  type: 'telephony',
  schema: TelephonyRequestSchema,
  useCase: async (request, { budget, clock }) => {
    const config = await loadTelephonyConfig();
    return deliverOtp(request.body, {
      config,
      providers: providersFor(config),
      limiter,
      now: clock,
      remainingMs: () => budget.remainingMs(),
    });
  },
});
