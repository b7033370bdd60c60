import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ACTION_TYPES,
  ACTIONS,
  type Action,
  ActionSchema,
  ADMIN_ROLE_TYPES,
  definitionOf,
  RISK_LEVELS,
  riskOf,
} from '../../lambda/domain/catalog.ts';

const U = '00u8new3Hs5LpQ2zY1d7';
const G = '00g4fin2Rr8KqW5tZ1d7';
const A = '0oa1dash5Tz8MnQ3rX1d7';

/** One valid example of each action type. */
const EXAMPLES: Record<string, Action['params']> = {
  'group.add_member': { userId: U, groupId: G },
  'group.remove_member': { userId: U, groupId: G },
  'app.assign': { userId: U, appId: A },
  'app.unassign': { userId: U, appId: A },
  'role.assign': { userId: U, roleType: 'HELP_DESK_ADMIN' },
  'role.unassign': { userId: U, roleType: 'HELP_DESK_ADMIN' },
  'user.update_profile': { userId: U, attributes: { department: 'Sales' } },
  'user.clear_sessions': { userId: U, oauthTokens: true },
};
const example = (type: string) => ActionSchema.parse({ type, params: EXAMPLES[type] ?? { userId: U } });

describe('the action catalog', () => {
  it('has one definition per type, each with a title, a description and a valid-from list', () => {
    expect(new Set(ACTION_TYPES).size).toBe(ACTIONS.length);
    for (const type of ACTION_TYPES) {
      const definition = definitionOf(type);
      expect(definition?.validFrom.length).toBeGreaterThan(0);
      expect(definition?.describe(example(type).params)).toMatch(/user 00u8new3Hs5LpQ2zY1d7/);
    }
  });

  it('covers what the product promises', () => {
    expect(ACTION_TYPES).toEqual(
      expect.arrayContaining([
        'group.add_member',
        'group.remove_member',
        'app.assign',
        'app.unassign',
        'user.suspend',
        'user.unsuspend',
        'user.deactivate',
        'user.activate',
        'user.reactivate',
        'user.unlock',
        'user.expire_password',
        'user.reset_password',
        'user.reset_factors',
        'user.clear_sessions',
        'role.assign',
        'role.unassign',
        'user.update_profile',
        'user.delete',
      ]),
    );
  });

  it('never rates admin roles, deactivation or deletion low', () => {
    for (const roleType of ADMIN_ROLE_TYPES) {
      for (const type of ['role.assign', 'role.unassign']) {
        expect(['high', 'critical']).toContain(riskOf(ActionSchema.parse({ type, params: { userId: U, roleType } })));
      }
    }
    expect(riskOf(ActionSchema.parse({ type: 'role.assign', params: { userId: U, roleType: 'SUPER_ADMIN' } }))).toBe(
      'critical',
    );
    expect(riskOf(example('user.deactivate'))).toBe('critical');
    expect(riskOf(example('user.delete'))).toBe('critical');
  });

  it('rates a change to sign-in or recovery attributes critical', () => {
    const change = (attributes: Record<string, string>) =>
      riskOf(ActionSchema.parse({ type: 'user.update_profile', params: { userId: U, attributes } }));
    expect(change({ department: 'Sales' })).toBe('medium');
    expect(change({ email: 'x@attacker.example' })).toBe('critical');
    expect(change({ login: 'x@attacker.example', title: 'CEO' })).toBe('critical');
  });

  it('gives every reversible action an inverse whose inverse is the action again', () => {
    for (const type of ACTION_TYPES) {
      const action = example(type);
      const inverse = definitionOf(type)?.inverse?.(action.params, undefined);
      if (!inverse) continue;
      const back = definitionOf(inverse.type)?.inverse?.(inverse.params as never, undefined);
      expect(back).toEqual({ type, params: action.params });
    }
    expect(definitionOf('user.delete')?.inverse).toBeUndefined();
  });

  it.each([
    [{ type: 'org.disable_mfa', params: { userId: U } }, 'off catalog'],
    [{ type: 'ROLE.ASSIGN', params: { userId: U, roleType: 'SUPER_ADMIN' } }, 'wrong case'],
    [{ type: 'group.add_member', params: { userId: U, groupId: '../../admin' } }, 'a path in an id'],
    [{ type: 'app.assign', params: { userId: U, appId: 'https://attacker.example' } }, 'a URL for an id'],
    [{ type: 'group.add_member', params: { userId: U } }, 'a missing parameter'],
    [{ type: 'user.suspend', params: { userId: U, groupId: G } }, 'an extra parameter'],
    [{ type: 'role.assign', params: { userId: U, roleType: 'GOD_MODE' } }, 'an unknown role'],
    [{ type: 'user.update_profile', params: { userId: U, attributes: {} } }, 'no attributes'],
    [{ type: 'user.update_profile', params: { userId: U, attributes: { 'bad name': 'x' } } }, 'a bad attribute name'],
  ])('rejects %j (%s)', (candidate, _why) => {
    expect(ActionSchema.safeParse(candidate).success).toBe(false);
  });

  it('anything a model could send either parses into a catalog action or is rejected, never throws', () => {
    // Mostly-valid values for each parameter a catalog action takes, with junk mixed in.
    const mostly = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: fc.jsonValue(), weight: 1 });
    const okId = fc.stringMatching(/^[A-Za-z0-9]{15,30}$/);
    const VALUES: Record<string, fc.Arbitrary<unknown>> = {
      userId: mostly(okId),
      groupId: mostly(okId),
      appId: mostly(okId),
      roleType: mostly(fc.constantFrom(...ADMIN_ROLE_TYPES)),
      attributes: mostly(
        fc.dictionary(
          fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/), fc.string()),
          fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue()),
          { minKeys: 1, maxKeys: 4 },
        ),
      ),
      oauthTokens: mostly(fc.boolean()),
    };
    /** Parameters shaped like those of `type` (its example's keys), sometimes with one extra key. */
    const paramsLike = (type: string) =>
      fc
        .tuple(
          fc.record(
            Object.fromEntries(
              Object.keys(EXAMPLES[type] ?? { userId: U }).map((k) => [k, VALUES[k] ?? fc.jsonValue()]),
            ),
          ),
          fc.oneof(
            { arbitrary: fc.constant(undefined), weight: 4 },
            { arbitrary: fc.tuple(fc.string(), fc.jsonValue()), weight: 1 },
          ),
        )
        .map(([params, extra]) => (extra ? { ...params, [extra[0]]: extra[1] } : params));
    const anyParams = fc.dictionary(fc.string(), fc.jsonValue());
    const candidate = fc.oneof(
      // a catalog type, with parameters shaped like its own or like anything
      fc
        .constantFrom(...ACTION_TYPES)
        .chain((type) =>
          fc.tuple(
            fc.constant<string>(type),
            fc.oneof({ arbitrary: paramsLike(type), weight: 3 }, { arbitrary: anyParams, weight: 1 }),
          ),
        ),
      // any type at all (rarely a catalog one), with parameters shaped like some catalog action's or like anything
      fc.tuple(fc.string(), fc.oneof(fc.constantFrom(...ACTION_TYPES).chain(paramsLike), anyParams)),
    );

    const seen = { parsed: 0, rejected: 0 };
    fc.assert(
      fc.property(candidate, ([type, params]) => {
        const result = ActionSchema.safeParse({ type, params });
        if (result.success) {
          seen.parsed += 1;
          expect(ACTION_TYPES).toContain(result.data.type);
          expect(result.data.type).toBe(type);
          expect(RISK_LEVELS).toContain(riskOf(result.data));
          expect(definitionOf(type)?.describe(result.data.params)).toContain(`user ${result.data.params.userId}`);
        } else {
          seen.rejected += 1;
          expect(result.error.issues.length).toBeGreaterThan(0);
          // only a catalog type with bad parameters, or a type off the catalog, is rejected
          if ((ACTION_TYPES as readonly string[]).includes(type)) {
            expect(definitionOf(type)?.params.safeParse(params).success).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
    // Both branches ran, and often enough to mean something.
    expect(seen.parsed).toBeGreaterThanOrEqual(20);
    expect(seen.rejected).toBeGreaterThanOrEqual(20);
  });
});
