import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { optionalEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { ACTION_TYPES, type ActionType } from './catalog.ts';
import { INTENTS, type Intent } from './intent.ts';

/**
 * The policy file: configuration as data, validated by this schema, with safe defaults. The deterministic policy
 * (`decide.ts`) reads it; so do the validator (protected principals, caps) and the rules recommender (birthright
 * rules, thresholds). `docs/policy.md` documents every field.
 *
 * Two things no policy file can change: high and critical actions are never automatic (`autoApprove` has no entry for
 * them), and nothing happens to a protected user or group without a human.
 */
export const MODES = ['observe', 'assisted', 'autonomous'] as const;
const Mode = z.enum(MODES);
const Confidence = z.number().min(0).max(1);
const Threshold = z.strictObject({ minConfidence: Confidence }).nullable();
const Count = (max: number) => z.number().int().min(0).max(max);

/**
 * What each intent may lead to, by Okta practice: an event is a reason to do some things and not others. A proposal whose
 * action type is not in its event's scope is dropped before anyone is asked (rule `out-of-intent`), however confident or
 * persuasive: a joiner is given access, never has it taken; a leaver loses access, never gains any; a security signal
 * gets a containment response; a membership change can only be undone. No intent grants admin roles, rewrites a profile
 * (the source of truth, HR or the directory, owns it), deletes a user, unlocks one or lifts a suspension: those are a
 * human's own work (or the inverse of an action a human approved), never a response to an event.
 */
export const DEFAULT_INTENT_SCOPES: { readonly [I in Intent]: readonly ActionType[] } = {
  /** Birthright access and getting the account going. */
  joiner: ['group.add_member', 'app.assign', 'user.activate', 'user.reactivate'],
  /** Access of the new role in, access of the old one out (an admin role the new role does not need included). */
  mover: ['group.add_member', 'group.remove_member', 'app.assign', 'app.unassign', 'role.unassign'],
  /** Removals, deactivation or suspension, and ending every session. */
  leaver: [
    'group.remove_member',
    'app.unassign',
    'role.unassign',
    'user.deactivate',
    'user.suspend',
    'user.clear_sessions',
  ],
  /** A group membership was added: the only response is to take it back. */
  membership: ['group.remove_member'],
  /** Containment: sessions, credentials, factors, suspension. */
  security: [
    'user.clear_sessions',
    'user.expire_password',
    'user.reset_password',
    'user.reset_factors',
    'user.suspend',
  ],
};

const Scope = (intent: Intent) =>
  z
    .array(z.enum(ACTION_TYPES))
    .max(ACTION_TYPES.length)
    .refine((types) => new Set(types).size === types.length, 'each action type once')
    .default([...DEFAULT_INTENT_SCOPES[intent]]);

export const PolicyConfigSchema = z.strictObject({
  version: z.literal(1),
  /** The default mode when `HOOKPILOT_MODE` is not set. */
  mode: Mode.default('assisted'),
  /** In autonomous mode: the confidence from which an action of each risk level runs without a human (null: never). */
  autoApprove: z
    .strictObject({
      low: Threshold.default({ minConfidence: 0.8 }),
      medium: Threshold.default(null),
    })
    .default({ low: { minConfidence: 0.8 }, medium: null }),
  /** Proposals less confident than this are dropped (recorded, but no human is asked). */
  dropBelowConfidence: Confidence.default(0.2),
  /** Per action type: its own mode, its own auto threshold, or switched off. */
  actions: z
    .partialRecord(
      z.enum(ACTION_TYPES),
      z.strictObject({ mode: Mode.optional(), minConfidence: Confidence.optional(), disabled: z.boolean().optional() }),
    )
    .default({}),
  /** Never touched without a human: users (ids or logins), groups (ids or names), and every member of some groups. */
  protected: z
    .strictObject({
      users: z.array(z.string().min(1)).default([]),
      groups: z.array(z.string().min(1)).default([]),
      membersOf: z.array(z.string().min(1)).default([]),
    })
    .default({ users: [], groups: [], membersOf: [] }),
  /** Groups whose membership grants privilege (names, `*` matches anything): adding someone is high risk. */
  privilegedGroups: z.array(z.string().min(1)).default(['*admin*', '*Admin*', '*-owners', '*-prod-*']),
  /** Pairs of groups no one should hold together (segregation of duties), by name. */
  toxicCombinations: z.array(z.tuple([z.string().min(1), z.string().min(1)])).default([]),
  /** Per intent, the action types an event of that intent may lead to (each intent defaults to DEFAULT_INTENT_SCOPES). */
  intentScopes: z
    .strictObject(
      Object.fromEntries(INTENTS.map((intent) => [intent, Scope(intent)])) as {
        [I in Intent]: ReturnType<typeof Scope>;
      },
    )
    .default(() => structuredClone(DEFAULT_INTENT_SCOPES) as { [I in Intent]: ActionType[] }),
  limits: z
    .strictObject({
      maxAutoActionsPerEvent: Count(100).default(5),
      maxAutoActionsPerHour: Count(10_000).default(50),
      /** More proposals than this for one event are rejected as a whole beyond the limit. */
      maxProposalsPerEvent: Count(200).default(25),
      /** At most this many approval requests for one event: the rest are dropped (rule `cap-approvals-per-event`). */
      maxApprovalsPerEvent: Count(100).default(5),
      /**
       * At most this many approval requests about one user within `approvalWindowHours` (rolling), across every event:
       * the rest are dropped (rule `cap-approvals-per-user`).
       */
      maxPendingApprovalsPerUser: Count(1000).default(10),
      approvalWindowHours: z.number().int().min(1).max(720).default(24),
    })
    .default({
      maxAutoActionsPerEvent: 5,
      maxAutoActionsPerHour: 50,
      maxProposalsPerEvent: 25,
      maxApprovalsPerEvent: 5,
      maxPendingApprovalsPerUser: 10,
      approvalWindowHours: 24,
    }),
  /** Joiners: groups everyone matching `when` (profile attribute = value, all of them) should be in. */
  birthright: z
    .array(z.strictObject({ when: z.record(z.string(), z.string()), groups: z.array(z.string().min(1)).min(1) }))
    .default([]),
  /** Thresholds of the rules recommender. */
  rules: z
    .strictObject({
      /** Propose a group or app that at least this share of peers hold (the share is the confidence). */
      peerShareThreshold: Confidence.default(0.6),
      /** A mover's group held by at most this share of the new peers is proposed for removal. */
      peerRemovalThreshold: Confidence.default(0.1),
      /** Failed sign-ins (in the timeline window) from which sessions are cleared; and the user suspended. */
      failedSignInsToClearSessions: Count(1000).default(5),
      failedSignInsToSuspend: Count(1000).default(10),
    })
    .default({
      peerShareThreshold: 0.6,
      peerRemovalThreshold: 0.1,
      failedSignInsToClearSessions: 5,
      failedSignInsToSuspend: 10,
    }),
  /** What the context builder gathers. */
  context: z
    .strictObject({
      /** Peers looked at (each costs two Okta reads). */
      maxPeers: Count(200).default(20),
      /** The security timeline: how far back from the event, and how many entries at most. */
      timelineMinutes: Count(10_080).default(60),
      maxTimelineEntries: Count(500).default(30),
      /** The context as JSON is trimmed to this many characters (≈ 4 per token). */
      maxChars: z.number().int().min(2_000).max(400_000).default(16_000),
    })
    .default({ maxPeers: 20, timelineMinutes: 60, maxTimelineEntries: 30, maxChars: 16_000 }),
});

export type PolicyConfig = z.output<typeof PolicyConfigSchema>;
export type PolicyInput = z.input<typeof PolicyConfigSchema>;
export type Mode = (typeof MODES)[number];

export const DEFAULT_POLICY: PolicyConfig = PolicyConfigSchema.parse({ version: 1 });

/** Parses a policy document, or throws a ConfigError that names the source and each wrong field. */
export function parsePolicy(input: unknown, source: string): PolicyConfig {
  const parsed = PolicyConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 10)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`the policy in ${source} is not valid: ${issues}`);
  }
  return parsed.data;
}

export const POLICY_ENV = {
  /** A path to the policy file (local use and tests). */
  file: 'HOOKPILOT_POLICY_FILE',
  /** The policy itself, as JSON (the stack builds it into the bundle this way). */
  json: 'HOOKPILOT_POLICY',
  mode: 'HOOKPILOT_MODE',
} as const;

/** The policy file the stack built into this bundle (esbuild `define`), if any. */
declare const __HOOKPILOT_POLICY__: string | undefined;
const BUNDLED_POLICY = typeof __HOOKPILOT_POLICY__ === 'string' ? __HOOKPILOT_POLICY__ : undefined;
/** The identifier the stack defines to build a policy into a bundle. */
export const BUNDLED_POLICY_DEFINE = '__HOOKPILOT_POLICY__';

/**
 * The policy in effect: the file named by HOOKPILOT_POLICY_FILE, else the JSON in HOOKPILOT_POLICY, else the policy
 * built into the bundle by the stack (`-c policyFile=…`, default policy/hookpilot.policy.json), else the defaults.
 */
export function loadPolicy(): PolicyConfig {
  const file = optionalEnv(POLICY_ENV.file);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`${POLICY_ENV.file} names ${file}, which cannot be read`);
    }
    return parsePolicy(parseJson(text, file), file);
  }
  const json = optionalEnv(POLICY_ENV.json);
  if (json) return parsePolicy(parseJson(json, POLICY_ENV.json), POLICY_ENV.json);
  return BUNDLED_POLICY
    ? parsePolicy(parseJson(BUNDLED_POLICY, 'the bundled policy'), 'the bundled policy')
    : DEFAULT_POLICY;
}

/** The mode in effect: HOOKPILOT_MODE if set (checked), else the policy's. */
export function modeFrom(policy: PolicyConfig): Mode {
  const raw = optionalEnv(POLICY_ENV.mode);
  if (raw === undefined) return policy.mode;
  if (!(MODES as readonly string[]).includes(raw)) {
    throw new ConfigError(`${POLICY_ENV.mode} must be one of ${MODES.join(', ')} (got "${raw}")`);
  }
  return raw as Mode;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the policy in ${source} is not JSON (${(error as Error).message})`);
  }
}

/** Whether the policy lets an event of this intent lead to an action of this type (`intentScopes`). */
export const inIntentScope = (intent: Intent, type: string, policy: PolicyConfig): boolean =>
  (policy.intentScopes[intent] as readonly string[] | undefined)?.includes(type) ?? false;

/** `*` matches any run of characters; everything else is literal. */
export function matchesName(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(name);
}

/** Whether a group name is privileged under the policy (`privilegedGroups`, with `*` patterns). */
export const isPrivileged = (name: string, policy: PolicyConfig): boolean =>
  policy.privilegedGroups.some((pattern) => matchesName(pattern, name));

/**
 * Whether a profile meets a birthright rule's `when`: every attribute equals its value, compared as text (so a profile's
 * `true` or `42` meets `"true"` or `"42"`; a missing or null attribute meets nothing).
 */
export function meetsWhen(
  when: Readonly<Record<string, string>>,
  profile: Readonly<Record<string, unknown>> | undefined,
): boolean {
  return Object.entries(when).every(([name, value]) => {
    const actual = profile?.[name];
    return actual !== undefined && actual !== null && String(actual) === value;
  });
}
