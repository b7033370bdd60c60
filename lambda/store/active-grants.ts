import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ActiveGrants } from '../ports.ts';

/**
 * What a grant of each action type stands for in a token or an assertion. Only grants that give access are claims;
 * any other time-bound action (a suspension, say) is not an entitlement and is left out. The form is stable:
 * `group:<groupId>`, `app:<appId>`, `role:<roleType>` (Okta group/app ids, an admin role type) — ids, not names, because
 * the grant records the ids the executor acted on and a group's name can change.
 */
const ENTITLEMENT_OF: Readonly<Record<string, { readonly prefix: string; readonly param: string }>> = {
  'group.add_member': { prefix: 'group', param: 'groupId' },
  'app.assign': { prefix: 'app', param: 'appId' },
  'role.assign': { prefix: 'role', param: 'roleType' },
};

/** An Okta id or a role type; anything else in a stored grant is not put into a token. */
const SAFE_VALUE = /^[A-Za-z0-9_-]{1,128}$/;

/** The entitlement a grant's action stands for, or undefined when it gives no access. */
export function grantEntitlement(action: unknown): string | undefined {
  if (typeof action !== 'object' || action === null) return undefined;
  const { type, params } = action as { type?: unknown; params?: unknown };
  const mapping = typeof type === 'string' && Object.hasOwn(ENTITLEMENT_OF, type) ? ENTITLEMENT_OF[type] : undefined;
  if (!mapping || typeof params !== 'object' || params === null) return undefined;
  const value = (params as Record<string, unknown>)[mapping.param];
  return typeof value === 'string' && SAFE_VALUE.test(value) ? `${mapping.prefix}:${value}` : undefined;
}

/**
 * The token and SAML hooks' view of the grants table (`store/grant-store.ts` writes it): ONE DynamoDB Query on the
 * `bySubject` index — the user's grants, newest first, filtered to `active` ones whose `expiresAt` is after `at`, only
 * their action and expiry read. A grant the sweeper has not revoked yet but that is past its expiry is not a claim, and
 * neither is one being revoked or ended early. The query is one page (1 MB of the user's grants, newest first, which
 * holds every active one: grants are short-lived); `signal` aborts the request when the hook's budget runs out.
 * Deliberately free of zod and the domain modules, to keep the inline bundles lean.
 */
export class DynamoActiveGrants implements ActiveGrants {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async entitlementsOf(userId: string, at: Date, signal: AbortSignal): Promise<readonly string[]> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'bySubject',
        KeyConditionExpression: 'subjectUserId = :u',
        FilterExpression: '#state = :active AND #expiresAt > :at',
        ProjectionExpression: '#action, #expiresAt',
        ExpressionAttributeNames: { '#state': 'state', '#expiresAt': 'expiresAt', '#action': 'action' },
        ExpressionAttributeValues: { ':u': userId, ':active': 'active', ':at': at.toISOString() },
        ScanIndexForward: false,
      }),
      { abortSignal: signal },
    );
    const found = new Set<string>();
    for (const item of result.Items ?? []) {
      const entitlement = grantEntitlement(item.action);
      if (entitlement) found.add(entitlement);
    }
    return [...found].sort();
  }
}
