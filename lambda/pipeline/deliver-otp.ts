import { createHash } from 'node:crypto';
import {
  deliveryChannel,
  type TelephonyRequest,
  telephonyAction,
  telephonyFallback,
  telephonyRequestType,
} from '../okta/inline-telephony.ts';
import type { RateLimiter, TelephonyProvider } from '../ports.ts';
import type { TelephonyConfig } from '../telephony/config.ts';

/**
 * The telephony hook's decision: rate limits (per number, per user) → route by phone-number prefix → the route's
 * providers in order, each under a hard timeout inside the budget → `SUCCESSFUL` once one accepted the message. No
 * provider, a limiter outage or every provider failing → the error answer that makes Okta send the OTP itself. A
 * rate-limit refusal answers `FAILED` (a valid status, so Okta does not fall back and the pumping stops here).
 *
 * The OTP reaches the provider in the message text and nothing else: the answer's `detail` (what the inline framework
 * audits) holds the provider, status, attempts, route prefix and a hash and the last two digits of the number.
 */
export interface DeliverOtpDeps {
  readonly config: TelephonyConfig;
  readonly providers: ReadonlyMap<string, TelephonyProvider>;
  readonly limiter: RateLimiter;
  readonly now: () => Date;
  /** Milliseconds left in the hook's budget. */
  readonly remainingMs: () => number;
}

/** Kept back from the budget for answering and the audit hand-off. */
const RESERVE_MS = 150;
const MIN_ATTEMPT_MS = 100;
const E164 = /^\+[1-9]\d{6,14}$/;

export type OtpOutcome = 'sent' | 'rate_limited' | 'fallback';

/** Shaped as the inline framework's `InlineDecision`: the answer for Okta and what the audit trail keeps. */
export interface OtpAnswer {
  readonly response: ReturnType<typeof telephonyAction> | ReturnType<typeof telephonyFallback>;
  readonly outcome: OtpOutcome;
  /** Why Okta's own providers were asked to send (the `reason` in the error), when they were. */
  readonly fallback?: string;
  readonly reason?: string;
  readonly subjectUserId?: string;
  readonly detail: Readonly<Record<string, string | number | boolean | null | readonly string[]>>;
}

type Answer = Omit<OtpAnswer, 'detail' | 'subjectUserId'>;

interface Attempt {
  readonly provider: string;
  readonly result: 'accepted' | 'rejected' | 'timeout' | 'unreachable' | 'bad_answer' | 'skipped_no_budget';
  readonly ms: number;
}

export async function deliverOtp(request: TelephonyRequest, deps: DeliverOtpDeps): Promise<OtpAnswer> {
  const started = Date.now();
  const profile = request.data.messageProfile;
  // E.164; a number Okta sent as a JSON number has lost its leading `+`.
  const compact = profile.phoneNumber.replace(/[\s().-]/g, '');
  const phone = /^\d{8,15}$/.test(compact) ? `+${compact}` : compact;
  const userId = request.data.userProfile?.userId;
  const transactionFor = String(request.eventId ?? request.data.context?.request?.id ?? `telephony-${started}`);
  const route = E164.test(phone) ? matchRoute(deps.config, phone) : undefined;
  const attempts: Attempt[] = [];

  const finish = (answer: Answer, extra: Record<string, string> = {}): OtpAnswer => {
    const accepted = attempts.find((a) => a.result === 'accepted');
    return {
      ...answer,
      ...(userId ? { subjectUserId: userId } : {}),
      detail: {
        requestType: telephonyRequestType(request),
        provider: accepted?.provider ?? null,
        status: statusOf(answer),
        routePrefix: route?.prefix ?? null,
        numberHash: numberHash(phone),
        numberLast2: phone.slice(-2),
        attempts: attempts.map((a) => `${a.provider}:${a.result}:${a.ms}ms`),
        providerMs: Date.now() - started,
        ...extra,
      },
    };
  };

  if (!E164.test(phone)) {
    return finish({
      response: telephonyFallback('The phone number is not in E.164 form', 'INVALID_PHONE_NUMBER'),
      outcome: 'fallback',
      fallback: 'INVALID_PHONE_NUMBER',
    });
  }
  if (!route || route.providers.length === 0) {
    return finish({
      response: telephonyFallback('No telephony provider is configured for this number', 'NO_PROVIDER'),
      outcome: 'fallback',
      fallback: 'NO_PROVIDER',
    });
  }

  const refusal = await checkLimits(deps, phone, userId);
  if (refusal === 'unavailable') {
    return finish({
      response: telephonyFallback('The rate limiter is unavailable', 'RATE_LIMITER_UNAVAILABLE'),
      outcome: 'fallback',
      fallback: 'RATE_LIMITER_UNAVAILABLE',
    });
  }
  if (refusal) {
    return finish(
      {
        response: telephonyAction({
          status: 'FAILED',
          provider: 'hookpilot',
          transactionId: transactionFor,
          transactionMetadata: 'rate limited',
        }),
        outcome: 'rate_limited',
        reason: `rate limit ${refusal}`,
      },
      { limit: refusal },
    );
  }

  const message = {
    phoneNumber: phone,
    channel: deliveryChannel(profile.deliveryChannel),
    text: profile.msgTemplate?.includes(profile.otpCode)
      ? profile.msgTemplate
      : `Your verification code is ${profile.otpCode}`,
    ...(profile.locale ? { locale: profile.locale } : {}),
  };
  for (const name of route.providers) {
    const provider = deps.providers.get(name);
    const left = deps.remainingMs() - RESERVE_MS;
    if (!provider || left < MIN_ATTEMPT_MS) {
      attempts.push({ provider: name, result: 'skipped_no_budget', ms: 0 });
      continue;
    }
    const attemptStarted = Date.now();
    try {
      const receipt = await provider.send(message, AbortSignal.timeout(Math.min(left, deps.config.attemptTimeoutMs)));
      const ms = Date.now() - attemptStarted;
      attempts.push({ provider: name, result: 'accepted', ms });
      return finish({
        response: telephonyAction({
          status: 'SUCCESSFUL',
          provider: name,
          transactionId: receipt.transactionId,
          transactionMetadata: `Duration=${ms}ms`,
        }),
        outcome: 'sent',
      });
    } catch (error) {
      const reason = (error as { reason?: unknown }).reason;
      attempts.push({
        provider: name,
        result:
          reason === 'rejected' || reason === 'timeout' || reason === 'unreachable' || reason === 'bad_answer'
            ? reason
            : 'unreachable',
        ms: Date.now() - attemptStarted,
      });
    }
  }
  return finish({
    response: telephonyFallback('Every telephony provider failed', 'ALL_PROVIDERS_FAILED'),
    outcome: 'fallback',
    fallback: 'ALL_PROVIDERS_FAILED',
  });
}

export function matchRoute(config: TelephonyConfig, phone: string) {
  let best: TelephonyConfig['routes'][number] | undefined;
  for (const route of config.routes) {
    if (phone.startsWith(route.prefix) && (!best || route.prefix.length > best.prefix.length)) best = route;
  }
  return best;
}

async function checkLimits(
  deps: DeliverOtpDeps,
  phone: string,
  userId: string | undefined,
): Promise<'perNumber' | 'perUser' | 'unavailable' | undefined> {
  const { perNumber, perUser } = deps.config.limits;
  const now = deps.now();
  try {
    if (
      perNumber &&
      !(await deps.limiter.take(`tel#num#${numberHash(phone)}`, perNumber.limit, perNumber.windowSeconds, now))
    )
      return 'perNumber';
    if (
      perUser &&
      userId &&
      !(await deps.limiter.take(`tel#user#${userId}`, perUser.limit, perUser.windowSeconds, now))
    )
      return 'perUser';
  } catch {
    return 'unavailable';
  }
  return undefined;
}

/** A stable, non-reversible handle on a number (for counting and the audit), not the number itself. */
export const numberHash = (phone: string): string => createHash('sha256').update(phone).digest('hex').slice(0, 16);

function statusOf(answer: Answer): string {
  return answer.outcome === 'sent' ? 'SUCCESSFUL' : answer.outcome === 'rate_limited' ? 'FAILED' : 'error';
}
