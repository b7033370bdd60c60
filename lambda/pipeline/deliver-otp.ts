import { createHash } from 'node:crypto';
import {
  deliveryChannel,
  type TelephonyRequest,
  telephonyAction,
  telephonyFallback,
  telephonyRequestType,
} from '../okta/inline-telephony.ts';
import type { AuditRecord, RateLimiter, TelephonyProvider } from '../ports.ts';
import type { TelephonyConfig } from '../telephony/config.ts';

/**
 * The telephony hook's decision: rate limits (per number, per user) → route by phone-number prefix → the route's
 * providers in order, each under a hard timeout inside the budget → `SUCCESSFUL` once one accepted the message. No
 * provider, a limiter outage or every provider failing → the error answer that makes Okta send the OTP itself. A
 * rate-limit refusal answers `FAILED` (a valid status, so Okta does not fall back and the pumping stops here).
 *
 * The OTP reaches the provider in the message text and nothing else: the audit record holds the provider, status,
 * duration, route prefix and a hash and the last two digits of the number.
 */
export interface DeliverOtpDeps {
  readonly config: TelephonyConfig;
  readonly providers: ReadonlyMap<string, TelephonyProvider>;
  readonly limiter: RateLimiter;
  /** Writes the record without making the answer wait (the inline framework's async audit). */
  readonly audit: (record: AuditRecord) => void;
  readonly now: () => Date;
  /** Milliseconds left in the hook's budget. */
  readonly remainingMs: () => number;
}

/** Kept back from the budget for answering and the audit hand-off. */
const RESERVE_MS = 150;
const MIN_ATTEMPT_MS = 100;
const E164 = /^\+[1-9]\d{6,14}$/;

export type OtpOutcome = 'sent' | 'rate_limited' | 'fallback';

export interface OtpAnswer {
  readonly body: unknown;
  readonly outcome: OtpOutcome;
  /** Why Okta's own providers were asked to send (the `reason` in the error), when they were. */
  readonly fallback?: string;
}

interface Attempt {
  readonly provider: string;
  readonly result: 'accepted' | 'rejected' | 'timeout' | 'unreachable' | 'bad_answer' | 'skipped_no_budget';
  readonly ms: number;
}

export async function deliverOtp(request: TelephonyRequest, deps: DeliverOtpDeps): Promise<OtpAnswer> {
  const started = Date.now();
  const profile = request.data.messageProfile;
  const phone = profile.phoneNumber.replace(/[\s().-]/g, '');
  const userId = request.data.userProfile?.userId;
  const correlationId = String(request.eventId ?? request.data.context?.request?.id ?? `telephony-${started}`);
  const route = E164.test(phone) ? matchRoute(deps.config, phone) : undefined;
  const attempts: Attempt[] = [];

  const finish = (answer: OtpAnswer, extra: Record<string, unknown> = {}): OtpAnswer => {
    const detail = {
      requestType: telephonyRequestType(request),
      outcome: answer.outcome,
      ...(answer.fallback ? { fallback: answer.fallback } : {}),
      routePrefix: route?.prefix ?? null,
      numberHash: numberHash(phone),
      numberLast2: phone.slice(-2),
      attempts,
      durationMs: Date.now() - started,
      ...extra,
    };
    deps.audit({
      correlationId,
      recordKey: 'inline.telephony',
      kind: `inline.telephony.${answer.outcome}`,
      at: deps.now().toISOString(),
      actor: 'inline-telephony',
      summary: summaryOf(answer, attempts),
      ...(userId ? { subjectUserId: userId } : {}),
      eventType: 'com.okta.telephony.provider',
      detail,
    });
    return answer;
  };

  if (!E164.test(phone)) {
    return finish({
      body: telephonyFallback('The phone number is not in E.164 form', 'INVALID_PHONE_NUMBER'),
      outcome: 'fallback',
      fallback: 'INVALID_PHONE_NUMBER',
    });
  }
  if (!route || route.providers.length === 0) {
    return finish({
      body: telephonyFallback('No telephony provider is configured for this number', 'NO_PROVIDER'),
      outcome: 'fallback',
      fallback: 'NO_PROVIDER',
    });
  }

  const refusal = await checkLimits(deps, phone, userId);
  if (refusal === 'unavailable') {
    return finish({
      body: telephonyFallback('The rate limiter is unavailable', 'RATE_LIMITER_UNAVAILABLE'),
      outcome: 'fallback',
      fallback: 'RATE_LIMITER_UNAVAILABLE',
    });
  }
  if (refusal) {
    return finish(
      {
        body: telephonyAction({
          status: 'FAILED',
          provider: 'hookpilot',
          transactionId: correlationId,
          transactionMetadata: 'rate limited',
        }),
        outcome: 'rate_limited',
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
        body: telephonyAction({
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
    body: telephonyFallback('Every telephony provider failed', 'ALL_PROVIDERS_FAILED'),
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

function summaryOf(answer: OtpAnswer, attempts: readonly Attempt[]): string {
  const accepted = attempts.find((a) => a.result === 'accepted');
  if (accepted) return `OTP accepted by ${accepted.provider}${attempts.length > 1 ? ' after failover' : ''}`;
  if (answer.outcome === 'rate_limited') return 'OTP refused: rate limit';
  return `OTP left to Okta's providers: ${answer.fallback}`;
}
