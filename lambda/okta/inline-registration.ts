import * as z from 'zod/mini';
import { BadRequestError } from '../errors.ts';
import { OptionalText } from './inline-request.ts';

/**
 * The registration inline hook's request (`com.okta.user.pre-registration`, docs/okta-protocol.md §2.4), in the shapes
 * Okta sends: self-service registration (`requestType: self.service.registration`, the submitted `data.userProfile`;
 * Classic orgs send `data.action: null` and may omit `requestType`) and progressive profile (`progressive.profile`, the
 * user in `data.context.user`, the changed attributes in `data.userProfileUpdate`). Profile values are attacker-
 * controlled text: they are checked by rules, never followed.
 */
const Profile = z.record(z.string(), z.unknown());
export const RegistrationRequestSchema = z.looseObject({
  requestType: OptionalText,
  data: z.looseObject({
    context: z.optional(
      z.nullable(
        z.looseObject({
          user: z.optional(
            z.nullable(
              z.looseObject({ id: z.optional(z.nullable(z.string())), profile: z.optional(z.nullable(Profile)) }),
            ),
          ),
        }),
      ),
    ),
    userProfile: z.optional(z.nullable(Profile)),
    userProfileUpdate: z.optional(z.nullable(Profile)),
    action: z.optional(z.nullable(z.string())),
  }),
});
export type RegistrationRequest = z.output<typeof RegistrationRequestSchema>;

export const SELF_SERVICE_REGISTRATION = 'self.service.registration';
export const PROGRESSIVE_PROFILE = 'progressive.profile';

/** What the rules look at, whichever shape Okta sent. */
export interface RegistrationView {
  readonly kind: 'registration' | 'progressive';
  /** The attributes the person submitted (all of them, or only the changed ones for a progressive profile). */
  readonly submitted: Readonly<Record<string, unknown>>;
  /** The user's profile as it will be: the known profile (progressive) with the submitted values over it. */
  readonly profile: Readonly<Record<string, unknown>>;
  /** Where the submitted attributes are in the request (`data.userProfile`), for error causes next to the field. */
  readonly location: 'data.userProfile' | 'data.userProfileUpdate';
  readonly userId?: string;
}

export function registrationView(body: RegistrationRequest): RegistrationView {
  const requestType = body.requestType ?? undefined;
  const progressive =
    requestType === PROGRESSIVE_PROFILE ||
    (requestType === undefined && !body.data.userProfile && body.data.userProfileUpdate !== undefined);
  if (requestType !== undefined && requestType !== PROGRESSIVE_PROFILE && requestType !== SELF_SERVICE_REGISTRATION) {
    const message = `must be ${SELF_SERVICE_REGISTRATION} or ${PROGRESSIVE_PROFILE}`;
    throw new BadRequestError(`requestType ${message}`, 'invalid_request', [{ path: 'requestType', message }]);
  }
  if (progressive) {
    const update = body.data.userProfileUpdate;
    if (!update)
      throw missing('data.userProfileUpdate', 'a progressive profile request carries the changed attributes');
    const user = body.data.context?.user;
    return {
      kind: 'progressive',
      submitted: update,
      profile: { ...(user?.profile ?? {}), ...update },
      location: 'data.userProfileUpdate',
      ...(user?.id ? { userId: user.id } : {}),
    };
  }
  const submitted = body.data.userProfile;
  if (!submitted)
    throw missing('data.userProfile', 'a self-service registration request carries the submitted profile');
  return { kind: 'registration', submitted, profile: submitted, location: 'data.userProfile' };
}

function missing(path: string, why: string): BadRequestError {
  const message = `is required: ${why}`;
  return new BadRequestError(`${path} ${message}`, 'invalid_request', [{ path, message }]);
}
