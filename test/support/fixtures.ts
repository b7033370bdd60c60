import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** A fixture file's parsed JSON (a fresh copy each call). */
export function fixture<T = Record<string, unknown>>(relativePath: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, relativePath), 'utf8')) as T;
}

export interface Delivery {
  eventType: string;
  eventId: string;
  data: { events: Array<Record<string, unknown> & { uuid: string; eventType: string; published: string }> };
  [key: string]: unknown;
}

/** An event hook delivery fixture with fresh uuids (so tests sharing tables never collide). */
export function freshDelivery(name = 'event-hook-delivery-user-lifecycle-create.json'): Delivery {
  const delivery = fixture<Delivery>(`okta/${name}`);
  delivery.eventId = randomUUID();
  for (const event of delivery.data.events) event.uuid = randomUUID();
  return delivery;
}

/** A delivery of `count` events cloned from a fixture, each with its own uuid and `published` time. */
export function deliveryOf(count: number, name?: string): Delivery {
  const template = freshDelivery(name);
  const first = template.data.events[0];
  if (!first) throw new Error('fixture has no event');
  const base = Date.parse(first.published);
  template.data.events = Array.from({ length: count }, (_, i) => ({
    ...structuredClone(first),
    uuid: randomUUID(),
    published: new Date(base + i * 1000).toISOString(),
  }));
  return template;
}
