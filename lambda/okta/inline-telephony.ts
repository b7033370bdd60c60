import * as z from 'zod/mini';
import { Text } from './inline-request.ts';

/**
 * Okta's telephony inline hook (`com.okta.telephony.provider`): the request, parsed leniently (numbers where the docs say
 * strings, `requestType` sometimes only as `data.context.eventAction`), and the answers Okta accepts. The request holds
 * the OTP: nothing here logs it, and a parse error names fields, never values.
 */
export const TELEPHONY_HOOK_TYPE = 'com.okta.telephony.provider';
export const TELEPHONY_COMMAND = 'com.okta.telephony.action';

export const TelephonyRequestSchema = z.object({
  eventId: z.optional(Text),
  eventType: z.optional(z.string()),
  requestType: z.optional(z.string()),
  data: z.object({
    context: z.optional(
      z.looseObject({
        eventAction: z.optional(z.string()),
        request: z.optional(z.looseObject({ id: z.optional(Text), ipAddress: z.optional(z.string()) })),
      }),
    ),
    userProfile: z.optional(z.looseObject({ userId: z.optional(z.string()), login: z.optional(z.string()) })),
    messageProfile: z.looseObject({
      msgTemplate: z.optional(z.string()),
      phoneNumber: Text.check(z.minLength(4), z.maxLength(32)),
      otpCode: Text.check(z.minLength(3), z.maxLength(16)),
      deliveryChannel: z.optional(z.string()),
      locale: z.optional(z.string()),
      otpExpires: z.optional(z.string()),
    }),
  }),
});
export type TelephonyRequest = z.infer<typeof TelephonyRequestSchema>;

export type TelephonyStatus = 'SUCCESSFUL' | 'PENDING' | 'FAILED';

export interface TelephonyActionValue {
  readonly status: TelephonyStatus;
  readonly provider: string;
  readonly transactionId: string;
  readonly transactionMetadata?: string;
}

/** The answer once a provider accepted the message (`SUCCESSFUL`, never earlier). */
export const telephonyAction = (value: TelephonyActionValue) => ({
  commands: [{ type: TELEPHONY_COMMAND, value: [value] }],
});

/**
 * The answer that makes Okta send the OTP through its own providers: an `error` object (no command). Causes name the
 * phone number field and a reason code, never the number or the code.
 */
export const telephonyFallback = (summary: string, reason: string) => ({
  error: {
    errorSummary: summary,
    errorCauses: [{ errorSummary: summary, reason, location: 'data.messageProfile.phoneNumber' }],
  },
});

/** SMS unless Okta says voice (`VOICE`, `voice`, `CALL`: the exact voice string is not documented). */
export const deliveryChannel = (channel: string | undefined): 'SMS' | 'VOICE' =>
  channel && /voice|call/i.test(channel) ? 'VOICE' : 'SMS';

/** The request type, from `requestType` or the legacy `data.context.eventAction`. */
export const telephonyRequestType = (request: TelephonyRequest): string =>
  request.requestType ?? request.data.context?.eventAction ?? 'unknown';
