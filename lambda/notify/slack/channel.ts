import { APPROVAL_STEPS } from '../../domain/approval.ts';
import {
  type ChannelStateStore,
  type DeliveryResult,
  type Notification,
  type NotificationAudience,
  type NotificationChannel,
  type OktaDirectory,
  RetryableDeliveryError,
} from '../../ports.ts';
import type { SlackMessage } from './block-kit.ts';
import type { SlackConfig } from './config.ts';
import { outcomeMessage, type RequestMessageOptions, requestMessage, threadReply } from './messages.ts';
import { type SlackApi, SlackWebApi, slackAnswered } from './web-api.ts';

/**
 * The Slack channel: one Block Kit message per approval request in the approvers' channel, edited on every later step
 * (so no stale call to action remains), with a reply in its thread per decision and outcome; the outcome also goes to
 * the subject's manager by DM when their Slack user is known, otherwise to the outcome channel.
 *
 * Where the request's message is (its channel and `ts`) is kept per request in the `ChannelStateStore`, changed only by
 * versioned conditional writes:
 * - **Posting once.** The first delivery for a request claims it (a write that succeeds only if no record exists)
 *   before it posts. A concurrent or redelivered copy finds the claim and fails retryably ("being posted"), then edits
 *   the posted message when it comes back. A post Slack refused (a 429, an `ok:false` code) gives the claim back at
 *   once. Only a timeout, or a crash between Slack's answer and the write that records its `ts`, can
 *   post twice: after `POSTING_LEASE_MS` the claim is taken over and the message posted again (a rare duplicate rather
 *   than a request nobody hears of).
 * - **Editing in order.** Steps of one request can arrive out of order (SQS). Each edit first records its step's
 *   `sequence` and the message it renders (a write over the version read, only if its sequence is not older than the
 *   stored one), then edits, then re-reads: if a newer step recorded itself meanwhile, the stored (newest) message is
 *   applied again. So the message ends showing the newest step, whatever order the edits land in; an older step that
 *   arrives late does not edit at all.
 */

export const SLACK_CHANNEL_NAME = 'slack';

/** How long a post claim holds before another delivery may take it over (Slack's call timeout is 10 s). */
export const POSTING_LEASE_MS = 60_000;

/** Steps that get a reply in the request message's thread (the post or edit shows every step). */
const THREAD_STEPS: ReadonlySet<string> = new Set(APPROVAL_STEPS.filter((step) => step !== 'requested'));

/** A Slack user id as Slack issues them (`U…`, `W…` for Enterprise Grid): anything else is not used. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;

export interface SlackChannelOptions {
  readonly api: SlackApi;
  readonly state: ChannelStateStore;
  /** The channel id (`C…`) where approvers see requests. Without it, requests are not posted. */
  readonly approvalsChannel?: string;
  /** Where outcomes go when the subject's manager has no known Slack user (`C…`). */
  readonly outcomeChannel?: string;
  /** Approve / Reject buttons on non-critical requests (needs the interactivity endpoint). Default false. */
  readonly buttons?: boolean;
  /**
   * The Slack user id of an Okta user, from the admin-set profile attribute (e.g. `slackUserId`), or undefined. Used to
   * DM the subject's manager.
   */
  readonly slackUserIdOf?: (oktaUserId: string) => Promise<string | undefined>;
  readonly clock?: () => Date;
}

type PostedState = {
  readonly channel: string;
  readonly ts: string;
  readonly sequence: number;
  readonly message: SlackMessage;
};
type ReleasedState = {
  readonly released: true;
  readonly sequence: number;
};
type PostingState = {
  readonly posting: true;
  readonly since: string;
  readonly sequence: number;
};

export class SlackChannel implements NotificationChannel {
  readonly name = SLACK_CHANNEL_NAME;
  readonly audiences: readonly NotificationAudience[];
  private readonly clock: () => Date;
  private readonly messageOptions: RequestMessageOptions;

  constructor(private readonly options: SlackChannelOptions) {
    const audiences: NotificationAudience[] = [];
    if (options.approvalsChannel) audiences.push('approvers');
    if (options.outcomeChannel || options.slackUserIdOf) audiences.push('outcome', 'grant-ended');
    this.audiences = audiences;
    this.clock = options.clock ?? (() => new Date());
    this.messageOptions = { buttons: options.buttons === true };
  }

  async deliver(notification: Notification): Promise<DeliveryResult> {
    if (notification.audience === 'approvers') return this.deliverToApprovers(notification);
    return this.deliverOutcome(notification);
  }

  /** Posts or edits the request's message, then replies in its thread for a decision or outcome. */
  private async deliverToApprovers(n: Notification): Promise<DeliveryResult> {
    const channel = this.options.approvalsChannel;
    if (!channel) return { outcome: 'skipped', detail: 'no Slack approvals channel configured' };
    const where = await this.upsert(n, channel);
    if (THREAD_STEPS.has(n.step)) {
      const reply = await this.options.api.postMessage(where.channel, threadReply(n), { threadTs: where.ts });
      return { outcome: 'sent', detail: `${where.action} message ${where.ts}; replied in its thread (${reply.ts})` };
    }
    return { outcome: 'sent', detail: `${where.action} message ${where.ts} in ${where.channel}` };
  }

  /** The manager by DM when their Slack user is known, else the outcome channel. */
  private async deliverOutcome(n: Notification): Promise<DeliveryResult> {
    const message = outcomeMessage(n);
    let managerSlackId: string | undefined;
    if (n.manager && this.options.slackUserIdOf) {
      const id = await this.options.slackUserIdOf(n.manager.id);
      managerSlackId = id && SLACK_USER_ID.test(id) ? id : undefined;
    }
    if (managerSlackId) {
      const dm = await this.options.api.openDm(managerSlackId);
      const posted = await this.options.api.postMessage(dm, message);
      return { outcome: 'sent', detail: `sent to the manager by DM (${posted.ts})` };
    }
    if (this.options.outcomeChannel) {
      const posted = await this.options.api.postMessage(this.options.outcomeChannel, message);
      return { outcome: 'sent', detail: `posted to the outcome channel (${posted.ts})` };
    }
    return { outcome: 'skipped', detail: `no Slack destination for the ${n.audience} of ${n.approvalId}` };
  }

  private async upsert(
    n: Notification,
    channel: string,
  ): Promise<{ channel: string; ts: string; action: 'posted' | 'edited' | 'kept' }> {
    const sequence = n.event.data.sequence as number;
    // Stored with the state as plain JSON (no undefined values, nothing but what Slack was sent).
    const message = JSON.parse(JSON.stringify(requestMessage(n, this.messageOptions))) as SlackMessage;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await this.options.state.get(n.approvalId, SLACK_CHANNEL_NAME);
      const now = this.clock();
      if (current === undefined || isStalePosting(current.state, now) || current.state.released === true) {
        const claim: PostingState = { posting: true, since: now.toISOString(), sequence };
        if (!(await this.options.state.put(n.approvalId, SLACK_CHANNEL_NAME, claim, current?.version))) continue;
        // Ours was written as version 1 (no record before) or over the stale claim's version.
        const claimVersion = current === undefined ? 1 : current.version + 1;
        let posted: { channel: string; ts: string };
        try {
          posted = await this.options.api.postMessage(channel, message);
        } catch (error) {
          // Slack refused it (a 429, an ok:false code): nothing was posted, so the claim is given back at once. After a
          // timeout the message may have been posted: the claim is kept until its lease runs out.
          if (slackAnswered(error)) {
            const released: ReleasedState = { released: true, sequence };
            await this.options.state.put(n.approvalId, SLACK_CHANNEL_NAME, released, claimVersion).catch(() => false);
          }
          throw error;
        }
        const state: PostedState = { channel: posted.channel, ts: posted.ts, sequence, message };
        // False only if someone took the claim over after its lease (we were that slow): they post too.
        await this.options.state.put(n.approvalId, SLACK_CHANNEL_NAME, state, claimVersion);
        // A newer step refused while we posted ("being posted") comes back and edits.
        return { channel: posted.channel, ts: posted.ts, action: 'posted' };
      }
      const stored = current.state;
      if (isPosting(stored)) {
        throw new RetryableDeliveryError(
          SLACK_CHANNEL_NAME,
          `the message for ${n.approvalId} is being posted by another delivery; this step edits it on the next attempt`,
        );
      }
      const posted = asPosted(stored);
      if (!posted) {
        throw new RetryableDeliveryError(SLACK_CHANNEL_NAME, `unreadable Slack state for ${n.approvalId}`);
      }
      if (sequence < posted.sequence) return { channel: posted.channel, ts: posted.ts, action: 'kept' };
      const next: PostedState = { ...posted, sequence, message };
      if (!(await this.options.state.put(n.approvalId, SLACK_CHANNEL_NAME, next, current.version))) continue;
      await this.options.api.update(posted.channel, posted.ts, message);
      await this.reapplyNewer(n.approvalId, sequence);
      return { channel: posted.channel, ts: posted.ts, action: 'edited' };
    }
    throw new RetryableDeliveryError(
      SLACK_CHANNEL_NAME,
      `the Slack state of ${n.approvalId} keeps changing; try again`,
    );
  }

  /** After an edit: if a newer step recorded itself meanwhile, its (newest) message is applied again, last. */
  private async reapplyNewer(approvalId: string, sequence: number): Promise<void> {
    let applied = sequence;
    for (let i = 0; i < 3; i += 1) {
      const current = await this.options.state.get(approvalId, SLACK_CHANNEL_NAME);
      const posted = current && asPosted(current.state);
      if (!posted || posted.sequence <= applied) return;
      await this.options.api.update(posted.channel, posted.ts, posted.message);
      applied = posted.sequence;
    }
  }
}

function isPosting(
  state: Readonly<Record<string, unknown>>,
): state is Readonly<Record<string, unknown>> & PostingState {
  return state.posting === true;
}

function isStalePosting(state: Readonly<Record<string, unknown>>, now: Date): boolean {
  return isPosting(state) && now.getTime() - Date.parse(state.since) > POSTING_LEASE_MS;
}

function asPosted(state: Readonly<Record<string, unknown>>): PostedState | undefined {
  const { channel, ts, sequence, message } = state;
  if (typeof channel !== 'string' || typeof ts !== 'string' || typeof sequence !== 'number') return undefined;
  if (typeof message !== 'object' || message === null) return undefined;
  return { channel, ts, sequence, message: message as SlackMessage };
}

/**
 * The Slack channel from its settings (`slack` in the notifications configuration). `directory` reads the Okta
 * profile attribute that holds a person's Slack user id (`userAttribute`), for the manager's DM; without it, outcomes go
 * to the outcome channel.
 */
export function createSlackChannel(
  config: SlackConfig,
  deps: {
    readonly state: ChannelStateStore;
    readonly directory?: Pick<OktaDirectory, 'getUser'>;
    readonly clock?: () => Date;
    readonly api?: SlackApi;
  },
): SlackChannel {
  const directory = deps.directory;
  return new SlackChannel({
    api: deps.api ?? new SlackWebApi({ token: config.botToken, apiUrl: config.apiUrl }),
    state: deps.state,
    ...(config.approvalsChannel ? { approvalsChannel: config.approvalsChannel } : {}),
    ...(config.outcomeChannel ? { outcomeChannel: config.outcomeChannel } : {}),
    buttons: config.interactivity?.enabled === true,
    ...(directory
      ? {
          slackUserIdOf: async (oktaUserId: string) => {
            const value = (await directory.getUser(oktaUserId))?.profile[config.userAttribute];
            return typeof value === 'string' ? value : undefined;
          },
        }
      : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
}
