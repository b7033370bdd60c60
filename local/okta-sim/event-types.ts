/**
 * System Log event types the simulator emits, with the display message, severity and `legacyEventType` it gives them,
 * and the list of event types an event hook may subscribe to (docs/okta-protocol.md §1.8, Okta's `event-hook-eligible`
 * tag).
 *
 * `legacyEventType` is only set where a source shows Okta's value (docs/okta-protocol.md §1.3 and the fixtures);
 * elsewhere it is `null`, which Okta also sends for many events.
 */

export type Severity = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface EventTypeInfo {
  readonly displayMessage: string;
  readonly severity: Severity;
  readonly legacyEventType: string | null;
}

const info = (displayMessage: string, severity: Severity = 'INFO', legacyEventType: string | null = null) => ({
  displayMessage,
  severity,
  legacyEventType,
});

export const EVENT_TYPES: Readonly<Record<string, EventTypeInfo>> = {
  'user.lifecycle.create': info('Create Okta user'),
  'user.lifecycle.activate': info('Activate Okta user'),
  'user.lifecycle.reactivate': info('Reactivate Okta user'),
  'user.lifecycle.deactivate': info('Deactivate Okta user'),
  'user.lifecycle.suspend': info('Suspend Okta user'),
  'user.lifecycle.unsuspend': info('Unsuspend Okta user'),
  'user.lifecycle.delete.initiated': info('Delete Okta user'),
  'user.lifecycle.delete.completed': info('Delete Okta user completed'),
  'user.account.update_profile': info('Update user profile for Okta'),
  'user.account.update_password': info('Update password for user'),
  'user.account.lock': info('Max sign in attempts exceeded', 'WARN'),
  'user.account.unlock_by_admin': info('Unlock user account by admin'),
  'user.account.reset_password': info('Fired when the user is requested to reset their password'),
  'user.account.expire_password': info('User password expired'),
  'user.account.privilege.grant': info('Grant user privilege'),
  'user.account.privilege.revoke': info('Revoke user privilege'),
  'user.mfa.factor.reset_all': info('Reset all factors for user'),
  'user.session.start': info('User login to Okta', 'INFO', 'core.user_auth.login_success'),
  'user.session.clear': info('Clear user session'),
  'group.user_membership.add': info('Add user to group membership', 'INFO', 'core.user_group_member.user_add'),
  'group.user_membership.remove': info(
    'Remove user from group membership',
    'INFO',
    'core.user_group_member.user_remove',
  ),
  'group.lifecycle.create': info('Create Okta group'),
  'group.lifecycle.delete': info('Delete Okta group'),
  'group.profile.update': info('Update Okta group profile'),
  'group.application_assignment.add': info('Add assigned application to group'),
  'group.application_assignment.remove': info('Remove assigned application from group'),
  'application.user_membership.add': info('Add user to application membership'),
  'application.user_membership.remove': info('Remove user from application membership'),
  'application.user_membership.update': info('Update user application membership'),
  'event_hook.created': info('Event hook created'),
  'event_hook.updated': info('Event hook updated'),
  'event_hook.activated': info('Event hook activated'),
  'event_hook.deactivated': info('Event hook deactivated'),
  'event_hook.verified': info('Event hook verified'),
  'event_hook.deleted': info('Event hook deleted'),
  'event_hook.delivery': info('Event hook delivery failed', 'WARN'),
};

/** Event types an event hook may subscribe to (docs/okta-protocol.md §1.8). */
const ELIGIBLE = [
  'user.lifecycle.create',
  'user.lifecycle.activate',
  'user.lifecycle.deactivate',
  'user.lifecycle.reactivate',
  'user.lifecycle.suspend',
  'user.lifecycle.unsuspend',
  'user.lifecycle.delete.initiated',
  'user.account.update_profile',
  'user.account.update_password',
  'user.account.reset_password',
  'user.account.lock',
  'user.account.unlock',
  'user.account.unlock_by_admin',
  'user.account.privilege.grant',
  'user.account.privilege.revoke',
  'user.account.report_suspicious_activity_by_enduser',
  'user.account.subscriptions.update',
  'group.user_membership.add',
  'group.user_membership.remove',
  'group.lifecycle.create',
  'group.lifecycle.delete',
  'group.profile.update',
  'group.privilege.grant',
  'group.privilege.revoke',
  'group.application_assignment.add',
  'group.application_assignment.remove',
  'group.application_assignment.update',
  'application.user_membership.add',
  'application.user_membership.remove',
  'application.user_membership.update',
  'application.user_membership.change_password',
  'application.lifecycle.create',
  'application.lifecycle.activate',
  'application.lifecycle.deactivate',
  'application.lifecycle.update',
  'application.lifecycle.delete',
  'application.provision.user.push',
  'application.provision.user.push_profile',
  'application.provision.user.sync',
  'application.provision.user.reactivate',
  'application.provision.user.delete',
  'application.provision.user.import_profile',
  'application.provision.user.remove_entitlements',
  'user.session.start',
  'user.session.end',
  'user.session.clear',
  'user.session.context.change',
  'user.authentication.sso',
  'user.authentication.auth_via_mfa',
  'user.authentication.auth_via_IDP',
  'user.authentication.auth_via_social',
  'user.authentication.universal_logout',
  'user.authentication.universal_logout.scheduled',
  'user.authentication.authenticate',
  'user.mfa.factor.activate',
  'user.mfa.factor.deactivate',
  'user.mfa.factor.reset_all',
  'user.mfa.factor.suspend',
  'user.mfa.factor.unsuspend',
  'user.mfa.factor.update',
  'user.mfa.promote_enrollment',
  'policy.lifecycle.activate',
  'policy.lifecycle.deactivate',
  'policy.lifecycle.update',
  'policy.rule.add',
  'policy.rule.update',
  'policy.rule.delete',
  'policy.rule.activate',
  'policy.rule.deactivate',
  'policy.auth_reevaluate.fail',
  'user.risk.detect',
  'user.risk.change',
  'security.breached_credential.detected',
  'system.api_token.create',
  'system.api_token.revoke',
  'system.org.rate_limit.warning',
  'system.org.rate_limit.violation',
  'user.import.password',
  'inline_hook.executed',
];

/** Families the catalog marks eligible as a whole (docs/okta-protocol.md §1.8 lists them with a wildcard). */
const ELIGIBLE_PREFIXES = ['iam.role.', 'iam.resourceset.', 'security.authenticator.lifecycle.'];

const ELIGIBLE_SET = new Set(ELIGIBLE);

export function isHookEligible(eventType: string): boolean {
  return ELIGIBLE_SET.has(eventType) || ELIGIBLE_PREFIXES.some((p) => eventType.startsWith(p));
}

export function eventTypeInfo(eventType: string): EventTypeInfo {
  return EVENT_TYPES[eventType] ?? info(eventType);
}
