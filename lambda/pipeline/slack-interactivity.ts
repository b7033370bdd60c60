import { z } from 'zod';
import { BadRequestError, HookpilotError, UnauthorizedError } from '../errors.ts';
import { logger } from '../log.ts';
import type { SlackConfig } from '../notify/slack/config.ts';
import { responseUrlAllowed } from '../notify/slack/config.ts';
import { ACTION_APPROVE, ACTION_OPEN, ACTION_REJECT } from '../notify/slack/messages.ts';
import { verifySlackSignature } from '../notify/slack/signature.ts';
import { type HttpRequest, type HttpResult, type OktaDirectory, type OktaUser, searchLiteral } from '../ports.ts';
import { describe } from './approvals-api.ts';
import { type ApproverPrincipal, type DecideApprovalDeps, decideApproval } from './decide-approval.ts';

/**
 * `POST /slack/interactivity`: an approver clicked Approve or Reject on a request's Slack message (offered only when
 * interactivity is on, and never for `critical` actions). In order:
 * 1. **Authenticate** the raw body with Slack's v0 signature (5-minute window, constant time, a list of secrets) — a
 *    forged or replayed request is a 401 and changes nothing.
 * 2. **Parse** the `payload` form field (zod); anything but a `block_actions` click on our buttons is a 400 / ignored.
 * 3. **Who is it?** The Okta user whose admin-set profile attribute (`slackUserId` by default) holds the clicker's Slack
 *    user id — exactly one, ACTIVE; by email only if `matchEmail` is on. Their groups come from Okta now, not from Slack.
 * 4. **Decide** through the approvals use case (`decideApproval`): separation of duties, expiry, the payload hash the
 *    message displayed, group slots — the API's rules, all of them. A `critical` request is refused here first, even
 *    though no button was offered (a forged click).
 * 5. **Answer the clicker** with an ephemeral message through `response_url`: what happened, or the specific reason it
 *    was refused. The request's message itself is edited by the notifier when the decision's event arrives.
 *
 * Slack wants the HTTP answer within 3 s. The work is one Okta search, one group list and one conditional write; the
 * handler gives Okta a short budget (`INTERACTIVE_OKTA_BUDGET`: a slow or rate-limited Okta is a "try again" answer
 * with nothing decided) and the `response_url` post about 1 s (its failure is logged; the decision stands).
 */

export interface SlackInteractivityDeps extends DecideApprovalDeps {
  readonly config: SlackConfig;
  readonly directory: Pick<OktaDirectory, 'searchUsers' | 'listUserGroups'>;
  /** `users.info` email (only used when `matchEmail` is on). */
  readonly slackEmailOf?: (slackUserId: string) => Promise<string | undefined>;
  /** Posts the ephemeral answer to `response_url`. */
  readonly respond: (responseUrl: string, message: { text: string }) => Promise<void>;
  /** `<consoleBaseUrl>/console/approvals/<id>`. */
  readonly consoleUrl: (approvalId: string) => string;
}

const ButtonValue = z.strictObject({
  a: z.string().regex(/^apr_[A-Za-z0-9_-]{1,120}$/),
  h: z.string().regex(/^[0-9a-f]{64}$/),
});

const PayloadSchema = z.looseObject({
  type: z.string(),
  user: z.looseObject({ id: z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'not a Slack user id') }),
  response_url: z.string().url().optional(),
  actions: z
    .array(z.looseObject({ action_id: z.string().max(255), value: z.string().max(2000).optional() }))
    .max(25)
    .optional(),
});

/** Slack's payload after the signature: form field `payload`, JSON. */
function parsePayload(body: string): z.infer<typeof PayloadSchema> {
  const form = new URLSearchParams(body);
  const raw = form.get('payload');
  if (raw === null) throw new BadRequestError('the body has no payload field', 'invalid_payload');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new BadRequestError('the payload field is not JSON', 'invalid_payload');
  }
  const parsed = PayloadSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `payload.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new BadRequestError(`the Slack payload is not valid: ${where}`, 'invalid_payload');
  }
  return parsed.data;
}

export function slackInteractivity(deps: SlackInteractivityDeps): (request: HttpRequest) => Promise<HttpResult> {
  return async (request) => {
    const interactivity = deps.config.interactivity;
    if (!interactivity) throw new UnauthorizedError('Slack interactivity is not configured (no signing secret)');
    const body = request.body ?? '';
    const check = verifySlackSignature({
      secrets: interactivity.signingSecrets,
      signature: request.headers['x-slack-signature'],
      timestamp: request.headers['x-slack-request-timestamp'],
      body,
      now: deps.clock(),
    });
    if (!check.ok) throw new UnauthorizedError(check.message, undefined, `slack_${check.reason}`);

    const payload = parsePayload(body);
    const action = payload.actions?.[0];
    // Clicks on the link button, and other interaction types, need no answer.
    if (payload.type !== 'block_actions' || !action || action.action_id === ACTION_OPEN) return { status: 200 };
    if (action.action_id !== ACTION_APPROVE && action.action_id !== ACTION_REJECT) return { status: 200 };
    const responseUrl = payload.response_url;
    if (!responseUrl || !responseUrlAllowed(responseUrl, deps.config)) {
      throw new BadRequestError("the payload's response_url is not Slack's", 'invalid_payload');
    }
    const value = ButtonValue.safeParse(safeJson(action.value));
    if (!value.success) throw new BadRequestError('the button value is not a hookpilot decision', 'invalid_payload');

    const text = await decide(
      {
        slackUserId: payload.user.id,
        approvalId: value.data.a,
        payloadHash: value.data.h,
        decision: action.action_id === ACTION_APPROVE ? 'approve' : 'reject',
      },
      deps,
    );
    await deps.respond(responseUrl, { text }).catch((error: unknown) => {
      // The decision (if any) stands; the clicker just does not see the confirmation. Nothing secret in the log.
      logger.warn('slack: the ephemeral answer could not be posted', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
    return { status: 200 };
  };
}

interface Click {
  readonly slackUserId: string;
  readonly approvalId: string;
  readonly payloadHash: string;
  readonly decision: 'approve' | 'reject';
}

/** Decides the click and returns what to tell the clicker (every refusal says why). */
async function decide(click: Click, deps: SlackInteractivityDeps): Promise<string> {
  const interactivity = deps.config.interactivity;
  const link = `Open it in the console: ${deps.consoleUrl(click.approvalId)}`;
  if (!interactivity?.enabled) {
    return `Deciding in Slack is turned off for this hookpilot; nothing was recorded. ${link}`;
  }
  const record = await deps.store.get(click.approvalId);
  if (!record) return `There is no approval request ${click.approvalId}; nothing was recorded.`;
  if (record.risk === 'critical') {
    return `Critical actions are decided in the console only, behind an Okta sign-in; nothing was recorded. ${link}`;
  }
  let person: { user: OktaUser } | { refusal: string };
  try {
    person = await oktaUserOf(click.slackUserId, deps);
  } catch {
    return `hookpilot could not look up your Okta account just now; nothing was recorded. Try again, or ${link}`;
  }
  if ('refusal' in person) return `${person.refusal} Nothing was recorded. ${link}`;
  let groups: string[];
  try {
    groups = (await deps.directory.listUserGroups(person.user.id)).map((g) => g.name);
  } catch {
    return `hookpilot could not read your Okta groups just now; nothing was recorded. Try again, or ${link}`;
  }
  const principal: ApproverPrincipal = { userId: person.user.id, login: person.user.profile.login, groups };
  try {
    const result = await decideApproval(
      {
        principal,
        approvalId: click.approvalId,
        body: {
          decision: click.decision,
          payloadHash: click.payloadHash,
          ...(click.decision === 'reject' ? { reason: `rejected in Slack by ${principal.login}` } : {}),
        },
      },
      deps,
    );
    const what = describe(result.record);
    if (result.decision === 'reject') return `You rejected "${what}". It will not run.`;
    if (result.queued) return `You approved "${what}". It is queued to run.`;
    return `You approved "${what}". Still required: ${result.stillRequired ?? 'more approvals'}.`;
  } catch (error) {
    if (error instanceof HookpilotError && error.status < 500) {
      const hint =
        error.code === 'reason_required'
          ? ' The console lets you give one.'
          : error.code === 'payload_changed'
            ? ' Check it again in the console.'
            : '';
      return `Refused: ${error.message}.${hint} ${link}`;
    }
    return `hookpilot could not record your decision just now (a dependency failed); try again. ${link}`;
  }
}

/** The one ACTIVE Okta user the Slack user maps to, or why there is none. */
async function oktaUserOf(
  slackUserId: string,
  deps: SlackInteractivityDeps,
): Promise<{ user: OktaUser } | { refusal: string }> {
  const attribute = deps.config.userAttribute;
  // The attribute name is checked by the settings schema; the values are literals, escaped.
  const byAttribute = await deps.directory.searchUsers(`profile.${attribute} eq ${searchLiteral(slackUserId)}`, 2);
  let candidates = byAttribute;
  let how = `whose profile attribute ${attribute} is ${slackUserId}`;
  if (candidates.length === 0 && deps.config.interactivity?.matchEmail && deps.slackEmailOf) {
    const email = await deps.slackEmailOf(slackUserId);
    if (email && /^[^"\\\s]{1,254}@[^"\\\s]{1,254}$/.test(email)) {
      candidates = await deps.directory.searchUsers(`profile.email eq ${searchLiteral(email)}`, 2);
      how = 'with your Slack email';
    }
  }
  if (candidates.length === 0) {
    return {
      refusal: `Your Slack user is not linked to an Okta user (no Okta user has ${attribute} = ${slackUserId}); ask an Okta admin to set it.`,
    };
  }
  if (candidates.length > 1) {
    return {
      refusal: `More than one Okta user ${how}, so hookpilot cannot tell who you are; ask an Okta admin to fix it.`,
    };
  }
  const user = candidates[0] as OktaUser;
  if (user.status !== 'ACTIVE')
    return { refusal: `Your Okta user (${user.profile.login}) is ${user.status}, not ACTIVE.` };
  return { user };
}

function safeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
