import { describe, expect, it } from 'vitest';
import { canBeTimeBound, grantIdOfRevoke, grantTerms, revokeActionId } from '../../lambda/domain/grant.ts';
import { DEFAULT_POLICY, parsePolicy } from '../../lambda/domain/policy-config.ts';

const add = { type: 'group.add_member', params: { userId: '00u1', groupId: '00g1' } };
const role = { type: 'role.assign', params: { userId: '00u1', roleType: 'USER_ADMIN' } };
const H = 3600;

describe('grantTerms: how long a grant lasts under the policy', () => {
  it('keeps a duration within the cap, and clamps one above it, saying so', () => {
    expect(grantTerms(add, 12 * H, DEFAULT_POLICY, 'dept-sales')).toEqual({
      durationSeconds: 12 * H,
      reason: `asked for ${12 * H} s`,
    });
    expect(grantTerms(add, 1000 * H, DEFAULT_POLICY, 'dept-sales')).toMatchObject({
      durationSeconds: 720 * H,
      requestedSeconds: 1000 * H,
      reason: expect.stringMatching(/clamped to the policy's cap for group.add_member \(720 h\)/),
    });
  });

  it('privileged groups: the smaller cap applies, and without a duration the cap is mandatory', () => {
    expect(grantTerms(add, 100 * H, DEFAULT_POLICY, 'aws-prod-admin')?.durationSeconds).toBe(72 * H);
    expect(grantTerms(add, undefined, DEFAULT_POLICY, 'aws-prod-admin')).toMatchObject({
      durationSeconds: 72 * H,
      reason: expect.stringMatching(/mandatory/),
    });
    expect(grantTerms(add, undefined, DEFAULT_POLICY, 'dept-sales')).toBeUndefined(); // ordinary: permanent
  });

  it('admin roles are never permanent: the role cap, or the privileged cap when the policy names none', () => {
    expect(grantTerms(role, undefined, DEFAULT_POLICY)?.durationSeconds).toBe(12 * H);
    expect(grantTerms(role, 24 * H, DEFAULT_POLICY)?.durationSeconds).toBe(12 * H);
    const noRoleCap = parsePolicy({ version: 1, grants: { maxDurationHours: {}, privilegedGroupMaxHours: 8 } }, 'p');
    expect(grantTerms(role, undefined, noRoleCap)?.durationSeconds).toBe(8 * H);
  });

  it('only actions with a catalogued inverse can be time-bound', () => {
    expect(canBeTimeBound('group.add_member')).toBe(true);
    expect(canBeTimeBound('user.delete')).toBe(false);
    expect(grantTerms({ type: 'user.reset_factors', params: { userId: '00u1' } }, H, DEFAULT_POLICY)).toBeUndefined();
  });

  it('a policy cap beyond a year is refused with the field named', () => {
    expect(() => parsePolicy({ version: 1, grants: { maxDurationHours: { 'role.assign': 9000 } } }, 'p')).toThrow(
      /grants\.maxDurationHours\.role\.assign/,
    );
  });

  it('a revocation has one action id per grant', () => {
    expect(revokeActionId('evt:0')).toBe('evt:0:revoke');
    expect(grantIdOfRevoke('evt:0:revoke')).toBe('evt:0');
    expect(grantIdOfRevoke('evt:0')).toBeUndefined();
  });
});
