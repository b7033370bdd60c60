import { z } from 'zod';

/**
 * What the model must answer (OpenAI structured output, strict JSON schema). Strict mode wants every property required
 * and no open-ended maps, so parameters are one object whose unused fields are null, and profile attributes are a list
 * of name/value pairs. The answer is untrusted: after parsing, every action still goes through the catalog, the
 * context check and the policy.
 */
export const ModelActionSchema = z.object({
  type: z.string().describe('an action type from the catalog, e.g. "group.add_member"'),
  params: z.object({
    userId: z.string().describe('the Okta id of the user the action applies to'),
    groupId: z.string().nullable().describe('for group actions: an Okta group id from the context'),
    appId: z.string().nullable().describe('for app actions: an Okta app id from the context'),
    roleType: z.string().nullable().describe('for role actions: an Okta admin role type'),
    attributes: z
      .array(z.object({ name: z.string(), value: z.string().nullable() }))
      .nullable()
      .describe('for user.update_profile: the attributes to set'),
    oauthTokens: z.boolean().nullable().describe('for user.clear_sessions: also revoke OAuth tokens'),
  }),
  confidence: z.number().describe('how sure you are that this action is right, from 0 to 1'),
  rationale: z.string().describe('one or two sentences: why'),
  evidence: z
    .array(z.string())
    .describe('the facts from the context this rests on, e.g. "12 of 13 peers are in dept-sales"'),
});

type OptionalParam = Exclude<keyof ModelAction['params'], 'userId'>;

/** Every parameter but `userId`, null: what an action that uses none of them sends (strict mode wants them all). */
export const NULL_PARAMS = Object.fromEntries(
  Object.keys(ModelActionSchema.shape.params.shape)
    .filter((name) => name !== 'userId')
    .map((name) => [name, null]),
) as { [K in OptionalParam]: null };

export const ModelRecommendationSchema = z.object({
  assessment: z.string().describe('one sentence: what the event means for this user'),
  actions: z.array(ModelActionSchema).describe('zero or more actions; an empty list when nothing should change'),
});

export type ModelAction = z.infer<typeof ModelActionSchema>;
export type ModelRecommendation = z.infer<typeof ModelRecommendationSchema>;

/** The structured-output schema name sent to the model (and recognised by the local stub). */
export const RESPONSE_FORMAT_NAME = 'hookpilot_recommendation';
