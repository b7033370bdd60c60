import { z } from 'zod';
import type { RecommendationContext } from '../domain/recommendation.ts';
import type { AuditLog } from '../ports.ts';

/**
 * Mover detection, in one place: which attributes make a user a mover, the snapshot of them every recommendation
 * records (the baseline for the next profile change), how the last snapshot is found again, and whether a profile
 * update made the user a mover.
 */

/** Attributes whose change makes a user a mover. */
export const MOVER_ATTRIBUTES = [
  'department',
  'title',
  'city',
  'countryCode',
  'managerId',
  'manager',
  'division',
] as const;

export type ProfileSnapshot = Record<string, string | number | boolean | null>;

const ProfileSnapshotSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

/** The mover attributes whose values differ between two profiles (a missing attribute and a null one are the same). */
export function moverDifferences(
  previous: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
): string[] {
  return MOVER_ATTRIBUTES.filter((name) => (previous[name] ?? null) !== (current[name] ?? null));
}

/** The attributes a mover is judged on, as they are now (recorded with every recommendation as a baseline). */
export function moverSnapshot(context: RecommendationContext): ProfileSnapshot {
  const out: ProfileSnapshot = {};
  for (const key of MOVER_ATTRIBUTES) out[key] = context.user.profile[key] ?? null;
  return out;
}

/** The profile as the audit trail last recorded it (each recommendation, and each skipped mover, records a snapshot). */
export async function lastSeenProfile(userId: string, audit: AuditLog): Promise<ProfileSnapshot | undefined> {
  for (const record of await audit.bySubject(userId, { limit: 50 })) {
    const profile = ProfileSnapshotSchema.safeParse(record.detail?.profile);
    if (profile.success) return profile.data;
  }
  return undefined;
}

/** Did a profile update make the user a mover? Okta's list of changed attributes decides; else the last recorded profile. */
export function moverChange(context: RecommendationContext): { moved: boolean; reason: string } {
  const tracked: readonly string[] = MOVER_ATTRIBUTES;
  const changed = context.event.changedAttributes;
  if (changed) {
    const relevant = changed.filter((a) => tracked.includes(a));
    return relevant.length > 0
      ? { moved: true, reason: `${relevant.join(', ')} changed` }
      : {
          moved: false,
          reason: `the profile change (${changed.slice(0, 5).join(', ')}) did not touch department, title, location or manager`,
        };
  }
  if (!context.previousProfile) {
    return {
      moved: false,
      reason: 'Okta did not say what changed and no earlier profile is on record; this one is now the baseline',
    };
  }
  const differences = moverDifferences(context.previousProfile, context.user.profile);
  return differences.length > 0
    ? { moved: true, reason: `${differences.join(', ')} changed since last seen` }
    : { moved: false, reason: 'department, title, location and manager are as last seen' };
}
