import type { OktaAppDirectory, OktaDirectory } from '../ports.ts';

/**
 * Okta ids → the names people know (a user's display name and login, a group's name, an app's label), read through
 * the Okta port and cached per warm function for a few minutes. A lookup that fails or runs out of time leaves the id
 * (the page says the name is unavailable); a page never waits longer than the budget for names.
 */
export type NameSource = Pick<OktaDirectory, 'getUser' | 'getGroup'> & OktaAppDirectory;

export interface Named {
  readonly kind: 'user' | 'group' | 'app';
  readonly id: string;
  /** The text to show, e.g. `Jane Doe (jane.doe@acme.example)`; the id itself when unknown. */
  readonly label: string;
  /** False when Okta did not say (not found, unreachable, too slow). */
  readonly resolved: boolean;
  /** A user's login; an app's kind. */
  readonly detail?: string;
  /** A user's Okta id (when looked up by login). */
  readonly userId?: string;
}

export interface NameResolver {
  /** Resolves every id asked for, within the time budget. Keys: `user:<id>`, `group:<id>`, `app:<id>`. */
  resolve(wanted: readonly { kind: Named['kind']; id: string }[]): Promise<Map<string, Named>>;
}

export interface NameResolverOptions {
  /** How long a name is kept (default 5 minutes). */
  readonly ttlMs?: number;
  /** The most names kept (default 2000; the oldest go first). */
  readonly maxEntries?: number;
  /** How long one page waits for names (default 1500 ms). */
  readonly budgetMs?: number;
  readonly now?: () => number;
}

export const nameKey = (kind: Named['kind'], id: string): string => `${kind}:${id}`;

export function createNameResolver(okta: NameSource, options: NameResolverOptions = {}): NameResolver {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const max = options.maxEntries ?? 2000;
  const budget = options.budgetMs ?? 1500;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { named: Named; until: number }>();

  const lookup = async (kind: Named['kind'], id: string): Promise<Named> => {
    const unknown: Named = { kind, id, label: id, resolved: false };
    try {
      if (kind === 'user') {
        const user = await okta.getUser(id);
        if (!user) return unknown;
        const first = typeof user.profile.firstName === 'string' ? user.profile.firstName : '';
        const last = typeof user.profile.lastName === 'string' ? user.profile.lastName : '';
        const display =
          typeof user.profile.displayName === 'string' && user.profile.displayName.trim()
            ? user.profile.displayName
            : `${first} ${last}`.trim();
        const login = user.profile.login;
        return {
          kind,
          id,
          label: display ? `${display} (${login})` : login,
          resolved: true,
          detail: login,
          userId: user.id,
        };
      }
      if (kind === 'group') {
        const group = await okta.getGroup(id);
        return group ? { kind, id, label: group.name, resolved: true } : unknown;
      }
      const app = await okta.getApp(id);
      return app ? { kind, id, label: app.label || app.name || id, resolved: true, detail: app.name } : unknown;
    } catch {
      return unknown;
    }
  };

  return {
    async resolve(wanted) {
      const out = new Map<string, Named>();
      const at = now();
      const pending: Promise<void>[] = [];
      for (const { kind, id } of wanted) {
        const key = nameKey(kind, id);
        if (out.has(key)) continue;
        const hit = cache.get(key);
        if (hit && hit.until > at) {
          out.set(key, hit.named);
          continue;
        }
        out.set(key, { kind, id, label: id, resolved: false });
        pending.push(
          lookup(kind, id).then((named) => {
            out.set(key, named);
            // Only what Okta answered is kept; a failure is asked again next time.
            if (named.resolved) {
              cache.delete(key);
              cache.set(key, { named, until: now() + ttl });
              while (cache.size > max) cache.delete(cache.keys().next().value as string);
            }
          }),
        );
      }
      if (pending.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(pending),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, budget);
          }),
        ]);
        clearTimeout(timer);
      }
      // A copy: lookups that finish after the budget must not change a page being rendered.
      return new Map(out);
    },
  };
}
