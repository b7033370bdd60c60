import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import { EVENT_ROUTES, routeEvent } from '../../lambda/pipeline/event-routes.ts';
import { fixture } from '../support/fixtures.ts';

const fromFixture = (name: string) =>
  fixture<{ data: { events: LogEvent[] } }>(`okta/${name}`).data.events[0] as LogEvent;
const event = (eventType: string, extra: Partial<LogEvent> = {}): LogEvent => ({
  uuid: 'u-1',
  published: '2026-03-02T16:41:07.512Z',
  eventType,
  target: [{ id: '00u1', type: 'User' }],
  ...extra,
});

describe('routeEvent', () => {
  it('routes the fixtures: joiner, membership, and a failed sign-in (the actor is the subject)', () => {
    expect(routeEvent(fromFixture('event-hook-delivery-user-lifecycle-create.json'))).toMatchObject({
      accepted: true,
      intent: 'joiner',
      subjectUserId: '00u8new3Hs5LpQ2zY1d7',
    });
    expect(routeEvent(fromFixture('event-hook-delivery-group-user-membership-add.json'))).toMatchObject({
      accepted: true,
      intent: 'membership',
      subjectUserId: '00u8new3Hs5LpQ2zY1d7',
    });
    expect(routeEvent(fromFixture('event-hook-delivery-user-session-start-failure.json'))).toMatchObject({
      accepted: true,
      intent: 'security',
      subjectUserId: '00u8new3Hs5LpQ2zY1d7',
    });
  });

  it.each([
    ['user.lifecycle.activate', 'joiner'],
    ['user.account.update_profile', 'mover'],
    ['user.lifecycle.deactivate', 'leaver'],
    ['user.lifecycle.suspend', 'leaver'],
    ['user.account.lock', 'security'],
    ['user.mfa.factor.reset_all', 'security'],
    ['security.breached_credential.detected', 'security'],
    ['user.risk.detect', 'security'],
  ])('%s → %s', (eventType, intent) => {
    expect(routeEvent(event(eventType))).toMatchObject({ accepted: true, intent });
  });

  it.each([
    ['event type user.session.end is not routed', event('user.session.end')],
    [
      'user.session.start with outcome SUCCESS needs no action',
      event('user.session.start', { outcome: { result: 'SUCCESS' } }),
    ],
    [
      'user.lifecycle.create with outcome FAILURE needs no action',
      event('user.lifecycle.create', { outcome: { result: 'FAILURE' } }),
    ],
    [
      'user.lifecycle.create names no Okta user',
      event('user.lifecycle.create', {
        target: [{ id: '00g1', type: 'UserGroup' }],
        actor: { id: '0oa1', type: 'PublicClientApp' },
      }),
    ],
    [
      'security.breached_credential.detected names no Okta user',
      event('security.breached_credential.detected', { target: null, actor: { id: 'okta', type: 'SystemPrincipal' } }),
    ],
  ])('skips: %s', (reason, e) => {
    expect(routeEvent(e)).toEqual({ accepted: false, reason });
  });

  it('matches `prefix.*` rows on the prefix only', () => {
    expect(routeEvent(event('security.threat.detected'))).toMatchObject({ accepted: true, rule: 'security.*' });
    expect(routeEvent(event('securityx.other'))).toMatchObject({ accepted: false });
  });

  it('is data: a table passed in replaces the default', () => {
    const routes = [{ eventType: 'user.session.end', intent: 'security' as const, outcomes: 'any' as const }];
    expect(routeEvent(event('user.session.end'), routes)).toMatchObject({ accepted: true, intent: 'security' });
    expect(routeEvent(event('user.lifecycle.create'), routes)).toMatchObject({ accepted: false });
    expect(EVENT_ROUTES.length).toBeGreaterThan(routes.length);
  });
});
