import type { GroupFact, RecommendationContext } from '../../lambda/domain/recommendation.ts';

/**
 * A realistic recommendation context, built by hand: Sam Taylor joins Sales in London. Peers hold `dept-sales`,
 * `loc-london` (and one holds `finance-approvers`), Slack and Salesforce; the policy names two privileged groups
 * (`aws-prod-admin`, `Okta Admins`). The manager is an executive (a VP), the actor is the HR provisioning account.
 * Ids are 20 alphanumerics like Okta's.
 */
export const IDS = {
  subject: '00uSALESJOINER000001',
  manager: '00uVPSALESMANAGER001',
  actor: '00uHRISPROVISION0001',
  /** A user who appears nowhere in the context. */
  stranger: '00uSTRANGER000000001',
  groups: {
    everyone: '00gEVERYONE000000001',
    deptSales: '00gDEPTSALES00000001',
    locLondon: '00gLOCLONDON00000001',
    awsProdAdmin: '00gAWSPRODADMIN00001',
    oktaAdmins: '00gOKTAADMINS0000001',
    financeApprovers: '00gFINAPPROVERS00001',
    /** A group that appears nowhere in the context. */
    elsewhere: '00gELSEWHERE00000001',
  },
  apps: {
    slack: '0oaSLACK000000000001',
    salesforce: '0oaSALESFORCE0000001',
    /** An app that appears nowhere in the context. */
    elsewhere: '0oaELSEWHERE00000001',
  },
} as const;

export const LOGINS = {
  subject: 'sam.taylor@example.com',
  manager: 'victoria.chen@example.com',
  actor: 'hris-provisioning@example.com',
} as const;

export const GROUPS = {
  everyone: { id: IDS.groups.everyone, name: 'Everyone', type: 'BUILT_IN' },
  deptSales: { id: IDS.groups.deptSales, name: 'dept-sales', type: 'OKTA_GROUP' },
  locLondon: { id: IDS.groups.locLondon, name: 'loc-london', type: 'OKTA_GROUP' },
  awsProdAdmin: { id: IDS.groups.awsProdAdmin, name: 'aws-prod-admin', type: 'OKTA_GROUP' },
  oktaAdmins: { id: IDS.groups.oktaAdmins, name: 'Okta Admins', type: 'OKTA_GROUP' },
  financeApprovers: { id: IDS.groups.financeApprovers, name: 'finance-approvers', type: 'OKTA_GROUP' },
} as const satisfies Record<string, GroupFact>;

/** The Sales joiner's context; `overrides` replace top-level fields (e.g. `groups`, `user`). */
export function salesJoinerContext(overrides: Partial<RecommendationContext> = {}): RecommendationContext {
  return {
    intent: 'joiner',
    event: {
      uuid: '5f2a7c1e-3b9d-11f1-9d4b-0a1b2c3d4e5f',
      eventType: 'user.lifecycle.activate',
      published: '2026-03-02T09:14:07.512Z',
      outcome: 'SUCCESS',
      displayMessage: 'Activate Okta user',
      actorId: IDS.actor,
      targets: [{ id: IDS.subject, type: 'User', name: 'Sam Taylor' }],
    },
    user: {
      id: IDS.subject,
      status: 'ACTIVE',
      login: LOGINS.subject,
      profile: {
        firstName: 'Sam',
        lastName: 'Taylor',
        department: 'Sales',
        title: 'Account Executive',
        city: 'London',
        countryCode: 'GB',
        employeeType: 'Full-Time',
        manager: LOGINS.manager,
        managerId: IDS.manager,
      },
    },
    groups: [GROUPS.everyone],
    apps: [],
    roles: [],
    manager: {
      id: IDS.manager,
      login: LOGINS.manager,
      displayName: 'Victoria Chen',
      title: 'VP Sales EMEA',
      department: 'Sales',
    },
    peers: {
      basis: { department: 'Sales', city: 'London' },
      sampled: 13,
      groups: [
        { ...GROUPS.deptSales, holders: 13, share: 1 },
        { ...GROUPS.locLondon, holders: 12, share: 12 / 13 },
        { ...GROUPS.financeApprovers, holders: 1, share: 1 / 13 },
      ],
      apps: [
        { id: IDS.apps.slack, label: 'Slack', holders: 13, share: 1 },
        { id: IDS.apps.salesforce, label: 'Salesforce', holders: 12, share: 12 / 13 },
      ],
    },
    candidateGroups: [GROUPS.awsProdAdmin, GROUPS.oktaAdmins],
    timeline: [
      { published: '2026-03-02T09:02:41.118Z', eventType: 'user.lifecycle.create', outcome: 'SUCCESS' },
      { published: '2026-03-02T09:14:07.512Z', eventType: 'user.lifecycle.activate', outcome: 'SUCCESS' },
      {
        published: '2026-03-02T09:16:55.034Z',
        eventType: 'user.session.start',
        outcome: 'SUCCESS',
        ipAddress: '203.0.113.24',
        city: 'London',
        country: 'United Kingdom',
      },
    ],
    truncated: [],
    ...overrides,
  };
}
