import {
  LogLevel,
  type Logger as SlackLogger,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../ports.ts';
import { postJson } from '../channel.ts';
import type { SlackMessage } from './block-kit.ts';

/**
 * The part of Slack's Web API hookpilot uses, over Slack's official SDK (`@slack/web-api`, fetch-based, ~63 KiB
 * bundled). The SDK's own retries and rate-limit sleeps are off: a Lambda must not sleep through a `Retry-After`, and the
 * notifications queue already retries with backoff. Every failure becomes the ports' taxonomy:
 *
 * - Slack answers HTTP 200 `{ ok: false, error }` for most failures: the codes that will never succeed as configured
 *   (`PERMANENT_ERRORS`: a revoked token, a deleted or archived channel, a bot not in the channel, a deleted message…)
 *   are a `PermanentDeliveryError` naming the code; `ratelimited` and Slack's own internal errors are retryable, and so
 *   is any code not listed (the DLQ ends it if it never clears).
 * - HTTP 429 with `Retry-After` → `RetryableDeliveryError` carrying the seconds; 5xx, network errors and timeouts →
 *   retryable; any other HTTP status → permanent.
 *
 * The token is only ever in the `Authorization` header the SDK sends; errors carry the method and Slack's error code,
 * never the token, the request or Slack's response body.
 */

export interface SlackApi {
  /** `chat.postMessage`; resolves with where it landed (the channel id and the message `ts`). */
  postMessage(
    channel: string,
    message: SlackMessage,
    options?: { threadTs?: string },
  ): Promise<{ channel: string; ts: string }>;
  /** `chat.update` of a message the bot posted. */
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** `conversations.open` with one user: the id of the DM channel with them. */
  openDm(slackUserId: string): Promise<string>;
  /** `auth.test`: who the token is (the bot user and the workspace). */
  authTest(): Promise<{ userId: string; team: string }>;
  /** `users.info`: the user's email (scope `users:read.email`), or undefined when Slack shows none. */
  userEmail(slackUserId: string): Promise<string | undefined>;
}

/** `ok: false` codes that trying again will not fix: reported once, not retried. */
export const PERMANENT_ERRORS: Readonly<Record<string, string>> = {
  not_authed: 'no token was sent',
  invalid_auth: 'the bot token is not valid',
  token_revoked: 'the bot token was revoked',
  token_expired: 'the bot token expired',
  account_inactive: 'the bot user or workspace is deactivated',
  no_permission: 'the token may not do this',
  missing_scope: 'the Slack app lacks a scope it needs (chat:write, im:write)',
  not_allowed_token_type: 'the token is not a bot token (xoxb-)',
  team_access_not_granted: 'the token has no access to this workspace',
  ekm_access_denied: 'the workspace administrators suspended access',
  channel_not_found: 'the channel does not exist or the bot cannot see it',
  is_archived: 'the channel is archived',
  not_in_channel: 'the bot is not a member of the channel (invite it)',
  restricted_action: 'the workspace does not allow the bot to post there',
  restricted_action_read_only_channel: 'the channel is read-only',
  restricted_action_thread_only_channel: 'the channel only allows thread replies',
  message_not_found: 'the message to edit no longer exists (deleted in Slack?)',
  cant_update_message: 'the message cannot be edited by this bot',
  edit_window_closed: "the workspace's edit window for the message has closed",
  thread_not_found: 'the thread no longer exists',
  user_not_found: 'the Slack user does not exist',
  user_disabled: 'the Slack user is deactivated',
  users_not_found: 'the Slack user does not exist',
  cannot_dm_bot: 'the mapped Slack user is a bot',
  invalid_blocks: 'Slack refused the message blocks as invalid',
  invalid_blocks_format: 'Slack refused the message blocks as malformed',
  msg_too_long: 'the message is too long',
  no_text: 'the message has no text',
  invalid_arguments: 'Slack refused the call arguments',
  invalid_arg_name: 'Slack refused the call arguments',
  too_many_attachments: 'the message has too many attachments',
  team_not_found: 'the workspace does not exist',
  org_login_required: 'the workspace requires an org-wide login',
};

export interface SlackWebApiOptions {
  /** The bot token (`xoxb-…`), or a function that reads it (Secrets Manager, cached). */
  readonly token: string | (() => Promise<string>);
  /** `https://slack.com/api/` unless a stand-in is used (the local stack's). Must end with `/`. */
  readonly apiUrl?: string;
  /** Per call (default 10 s): past it the call is a retryable failure. */
  readonly timeoutMs?: number;
}

const CHANNEL = 'slack';

export class SlackWebApi implements SlackApi {
  private client: WebClient | undefined;
  private clientToken: string | undefined;

  constructor(private readonly options: SlackWebApiOptions) {}

  async postMessage(
    channel: string,
    message: SlackMessage,
    options: { threadTs?: string } = {},
  ): Promise<{ channel: string; ts: string }> {
    const client = await this.web();
    const result = await call('chat.postMessage', () =>
      client.chat.postMessage({
        channel,
        text: message.text,
        // The SDK's types describe every block Slack has; ours are a checked subset.
        blocks: message.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      }),
    );
    if (typeof result.ts !== 'string' || typeof result.channel !== 'string') {
      throw new RetryableDeliveryError(CHANNEL, 'chat.postMessage answered without a channel and ts');
    }
    return { channel: result.channel, ts: result.ts };
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    const client = await this.web();
    await call('chat.update', () =>
      client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never }),
    );
  }

  async openDm(slackUserId: string): Promise<string> {
    const client = await this.web();
    const result = await call('conversations.open', () =>
      client.conversations.open({ users: slackUserId, return_im: false }),
    );
    const id = result.channel?.id;
    if (typeof id !== 'string')
      throw new RetryableDeliveryError(CHANNEL, 'conversations.open answered without a channel');
    return id;
  }

  async authTest(): Promise<{ userId: string; team: string }> {
    const client = await this.web();
    const result = await call('auth.test', () => client.auth.test());
    return { userId: String(result.user_id ?? ''), team: String(result.team ?? '') };
  }

  async userEmail(slackUserId: string): Promise<string | undefined> {
    const client = await this.web();
    const result = await call('users.info', () => client.users.info({ user: slackUserId }));
    const email = result.user?.profile?.email;
    return typeof email === 'string' && email ? email : undefined;
  }

  /** One client per token value: a rotated token (a new secret value) gets a new client. */
  private async web(): Promise<WebClient> {
    const token = typeof this.options.token === 'string' ? this.options.token : await this.options.token();
    if (!this.client || this.clientToken !== token) {
      this.client = new WebClient(token, {
        slackApiUrl: this.options.apiUrl ?? 'https://slack.com/api/',
        // Methods only, never an absolute URL handed in by a caller.
        allowAbsoluteUrls: false,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: this.options.timeoutMs ?? 10_000,
        logger: SILENT,
      });
      this.clientToken = token;
    }
    return this.client;
  }
}

/** Runs one Web API call and turns its failure into a `PermanentDeliveryError` or `RetryableDeliveryError`. */
async function call<T>(method: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw classify(method, error);
  }
}

/** Failures Slack itself answered (so the call did not take effect); not timeouts or lost connections. */
const ANSWERED = new WeakSet<Error>();

/**
 * True when `error` is Slack's own answer refusing the call (an `ok:false` code, a 429, an HTTP error status): the
 * message was certainly not posted. False for a timeout or a network error, after which it may have been.
 */
export const slackAnswered = (error: unknown): boolean => error instanceof Error && ANSWERED.has(error);

export function classify(method: string, error: unknown): Error {
  const classified = classifyError(method, error);
  if (
    error instanceof WebAPIRateLimitedError ||
    error instanceof WebAPIPlatformError ||
    error instanceof WebAPIHTTPError
  ) {
    ANSWERED.add(classified);
  }
  return classified;
}

function classifyError(method: string, error: unknown): Error {
  const cause = error;
  if (cause instanceof WebAPIRateLimitedError) {
    return new RetryableDeliveryError(CHANNEL, `${method}: rate limited by Slack (retry after ${cause.retryAfter} s)`, {
      httpStatus: 429,
      retryAfterSeconds: cause.retryAfter,
    });
  }
  if (cause instanceof WebAPIPlatformError) {
    const code = String(cause.data.error);
    const safeCode = /^[a-z0-9_]{1,64}$/.test(code) ? code : 'unknown_error';
    const why = PERMANENT_ERRORS[safeCode];
    if (why) return new PermanentDeliveryError(CHANNEL, `${method}: ${safeCode} (${why})`);
    if (safeCode === 'ratelimited' || safeCode === 'rate_limited') {
      const retryAfterSeconds = cause.data.response_metadata?.retryAfter;
      return new RetryableDeliveryError(CHANNEL, `${method}: ratelimited`, {
        ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
      });
    }
    return new RetryableDeliveryError(CHANNEL, `${method}: Slack answered ${safeCode}`);
  }
  if (cause instanceof WebAPIHTTPError) {
    const status = cause.statusCode;
    if (status >= 500 || status === 408 || status === 429) {
      return new RetryableDeliveryError(CHANNEL, `${method}: Slack answered HTTP ${status}`, { httpStatus: status });
    }
    return new PermanentDeliveryError(CHANNEL, `${method}: Slack refused the call (HTTP ${status})`, {
      httpStatus: status,
    });
  }
  if (cause instanceof WebAPIRequestError) {
    const timedOut = /abort|timeout/i.test(cause.original?.name ?? '') || /abort|timeout/i.test(cause.message);
    return new RetryableDeliveryError(CHANNEL, `${method}: ${timedOut ? 'timed out' : 'Slack unreachable'}`);
  }
  if (error instanceof PermanentDeliveryError || error instanceof RetryableDeliveryError) return error;
  // Something else (the SDK's own argument checks, a redirect): its message may hold request data; keep its class only.
  return new RetryableDeliveryError(CHANNEL, `${method} failed (${error instanceof Error ? error.name : 'error'})`);
}

/** The SDK logs nothing: hookpilot logs each delivery's outcome itself, without request data. */
const SILENT: SlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/**
 * Answers a Slack interaction through its `response_url` (valid 30 minutes, 5 uses): an ephemeral message only the
 * person who clicked sees. The caller checks the URL first (`responseUrlAllowed`): it comes from a signed payload,
 * and is still only ever Slack's hooks host (or the local stand-in).
 */
export async function respondToInteraction(
  responseUrl: string,
  message: { readonly text: string; readonly blocks?: SlackMessage['blocks'] },
  timeoutMs = RESPOND_TIMEOUT_MS,
): Promise<void> {
  await postJson(
    CHANNEL,
    responseUrl,
    { response_type: 'ephemeral', replace_original: false, ...message },
    { timeoutMs },
  );
}

/** How long the ephemeral answer may take: it is posted before Slack's 3 s for the HTTP answer run out. */
export const RESPOND_TIMEOUT_MS = 1_000;
