import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importPasswords, placementsOf } from '../../cli/passwords.ts';
import { hashLegacyPassword } from '../../lambda/domain/legacy-hash.ts';
import type { LogEvent } from '../../lambda/okta/event-hook.ts';
import { PasswordImportRequestSchema } from '../../lambda/okta/inline-password-import.ts';
import { importPassword } from '../../lambda/pipeline/import-password.ts';
import { type ProcessEventDeps, processEvent } from '../../lambda/pipeline/process-event.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { DynamoLegacyHashStore } from '../../lambda/store/legacy-hashes.ts';
import type { LocalResources } from '../../local/resources.ts';
import { freshResources, testClients } from '../support/emulators.ts';
import { useTestSim } from '../support/okta-sim.ts';

/**
 * Password migration end to end over real parts: the export is sorted (Okta-compatible hashes → Okta users with
 * `credentials.password.hash` on the simulator; the rest → Okta users with the password hook + the legacy-hash table
 * on DynamoDB Local), the hook's use case verifies the fixture request's password, and `user.import.password` deletes
 * the hash.
 */
const fixture = JSON.parse(readFileSync('test/fixtures/okta/inline-password-import-request.json', 'utf8'));
const PASSWORD = fixture.data.context.credential.password as string;
const LOGIN = fixture.data.context.credential.username as string;
const testSim = useTestSim();
const { documents } = testClients();
let resources: LocalResources;
let store: DynamoLegacyHashStore;

const salt = Buffer.from('legacy-salt-01').toString('base64');
const scrypt = hashLegacyPassword(PASSWORD, { algorithm: 'scrypt', N: 1024, r: 8, p: 1, salt });
const weakPbkdf2 = hashLegacyPassword('Other-Pa55word', {
  algorithm: 'pbkdf2',
  digest: 'sha1',
  iterations: 1000,
  salt,
});
const strongPbkdf2 = hashLegacyPassword('Third-Pa55word', {
  algorithm: 'pbkdf2',
  digest: 'sha256',
  iterations: 4096,
  salt,
});

function exportFile(): string {
  const rows = [
    {
      login: LOGIN,
      firstName: 'Legacy',
      lastName: 'User',
      algorithm: 'scrypt',
      hash: scrypt.hash,
      salt,
      N: 1024,
      r: 8,
      p: 1,
    },
    {
      login: 'weak.pbkdf2@acme-demo.example',
      algorithm: 'pbkdf2',
      digest: 'sha1',
      iterations: 1000,
      hash: weakPbkdf2.hash,
      salt,
    },
    {
      login: 'strong.pbkdf2@acme-demo.example',
      algorithm: 'pbkdf2',
      digest: 'sha256',
      iterations: 4096,
      hash: strongPbkdf2.hash,
      salt,
    },
    { login: 'bcrypt.user@acme-demo.example', algorithm: 'bcrypt', hash: `$2b$10$${'a'.repeat(22)}${'b'.repeat(31)}` },
    {
      login: 'salted.sha@acme-demo.example',
      algorithm: 'sha256',
      hash: Buffer.alloc(32, 7).toString('base64'),
      salt,
      saltOrder: 'POSTFIX',
    },
    { login: 'argon.user@acme-demo.example', algorithm: 'argon2id', hash: Buffer.alloc(32, 1).toString('base64') },
  ];
  const file = join(tmpdir(), `hookpilot-export-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

beforeAll(async () => {
  resources = await freshResources();
  store = new DynamoLegacyHashStore(documents, resources.tables.legacyHashesTable);
});

describe('hookpilot passwords import', () => {
  it('puts Okta-compatible hashes into Okta and keeps only the rest for the hook', async () => {
    const placements = placementsOf(exportFile());
    expect(placements.map((p) => [p.profile.login, p.target])).toEqual([
      [LOGIN, 'hook'],
      ['weak.pbkdf2@acme-demo.example', 'hook'],
      ['strong.pbkdf2@acme-demo.example', 'okta'],
      ['bcrypt.user@acme-demo.example', 'okta'],
      ['salted.sha@acme-demo.example', 'okta'],
      ['argon.user@acme-demo.example', 'unsupported'],
    ]);
    expect(placements[3]).toMatchObject({
      hash: { algorithm: 'BCRYPT', workFactor: 10, salt: 'a'.repeat(22), value: 'b'.repeat(31) },
    });
    expect(placements[2]).toMatchObject({
      hash: { algorithm: 'PBKDF2', iterationCount: 4096, keySize: 32, digestAlgorithm: 'SHA256_HMAC' },
    });

    const okta = { orgUrl: testSim.sim.orgUrl, token: testSim.sim.token };
    const results = await importPasswords(placements, store, {
      importId: 'legacy-2026',
      sunset: '2026-05-01',
      now: new Date('2026-03-01T00:00:00Z'),
      okta,
    });
    expect(results.map((r) => r.outcome)).toEqual(['stored', 'stored', 'created', 'created', 'created', 'skipped']);
    for (const r of results.filter((x) => x.outcome !== 'skipped')) {
      const user = await testSim.client().userApi.getUser({ userId: r.login });
      expect(user.status).toBe('ACTIVE');
      expect(r.oktaUserId).toBe(user.id);
    }
    const kept = await store.get(LOGIN);
    expect(kept).toMatchObject({ importId: 'legacy-2026', sunset: '2026-05-01', hash: { algorithm: 'scrypt' } });
    expect(await store.get('strong.pbkdf2@acme-demo.example')).toBeUndefined();

    // Importing the same file again: users exist, their hashes are stored again for the hook, nothing fails.
    const again = await importPasswords(placements, store, {
      importId: 'legacy-2026',
      sunset: '2026-05-01',
      now: new Date(),
      okta,
    });
    expect(again.map((r) => r.outcome)).toEqual(['stored', 'stored', 'exists', 'exists', 'exists', 'skipped']);
  });

  it('`pending` lists who has not migrated once the sunset has passed', async () => {
    expect(await store.pastSunset('2026-04-30')).toEqual([]);
    const pending = await store.pastSunset('2026-05-02');
    expect(pending.map((r) => r.login)).toEqual([LOGIN, 'weak.pbkdf2@acme-demo.example']);
  });

  it('the hook verifies the fixture’s password: VERIFIED, the exact command; a wrong one UNVERIFIED', async () => {
    const deps = { store };
    const right = await importPassword(PasswordImportRequestSchema.parse(fixture), deps);
    expect(right.response).toEqual(
      JSON.parse(readFileSync('test/fixtures/okta/inline-password-import-response.json', 'utf8')),
    );
    const wrong = structuredClone(fixture);
    wrong.data.context.credential.password = 'Corr3ct-H0rse-Battery?';
    const refused = await importPassword(PasswordImportRequestSchema.parse(wrong), deps);
    expect(refused.response).toEqual({
      commands: [{ type: 'com.okta.action.update', value: { credential: 'UNVERIFIED' } }],
    });
    const unknown = structuredClone(fixture);
    unknown.data.context.credential.username = 'nobody@acme-demo.example';
    expect((await importPassword(PasswordImportRequestSchema.parse(unknown), deps)).reason).toBe('no_legacy_hash');
    expect([right, refused].map((a) => [a.outcome, a.reason])).toEqual([
      ['VERIFIED', 'match'],
      ['UNVERIFIED', 'mismatch'],
    ]);
    expect(right.detail).toMatchObject({ login: LOGIN, algorithm: 'scrypt', importId: 'legacy-2026' });
  });

  it('user.import.password (SUCCESS) deletes the legacy hash and records the migration', async () => {
    expect(await store.get(LOGIN)).toBeDefined();
    const audit = new DynamoAuditLog(documents, resources.tables.auditTable);
    const event = {
      uuid: `imp-${Date.now()}`,
      eventType: 'user.import.password',
      published: new Date().toISOString(),
      outcome: { result: 'SUCCESS' },
      target: [{ id: '00uLEGACY1', type: 'User', alternateId: LOGIN, displayName: 'Legacy User' }],
    } as unknown as LogEvent;
    // Housekeeping runs before routing, recommending or Okta: the other ports are never touched.
    const deps = { audit, clock: () => new Date(), legacyHashes: store } as unknown as ProcessEventDeps;
    const outcome = await processEvent(
      { schemaVersion: 1, event, delivery: { eventId: 'e', source: 's', receivedAt: new Date().toISOString() } },
      deps,
    );
    expect(outcome).toEqual({ status: 'skipped', reason: 'legacy password hash deleted after import' });
    expect(await store.get(LOGIN)).toBeUndefined();
    expect(await audit.byCorrelation(event.uuid)).toEqual([
      expect.objectContaining({ kind: 'password.migrated', detail: expect.objectContaining({ login: LOGIN }) }),
    ]);
    // A failed import leaves the hash alone.
    await store.put([
      {
        login: 'weak.pbkdf2@acme-demo.example',
        hash: weakPbkdf2,
        importId: 'x',
        sunset: '2026-05-01',
        importedAt: 'now',
      },
    ]);
    const failed = {
      ...event,
      uuid: `imp-f-${Date.now()}`,
      outcome: { result: 'FAILURE' },
      target: [{ id: '00uW', type: 'User', alternateId: 'weak.pbkdf2@acme-demo.example' }],
    } as unknown as LogEvent;
    await processEvent(
      { schemaVersion: 1, event: failed, delivery: { eventId: 'e', source: 's', receivedAt: 'now' } },
      deps,
    );
    expect(await store.get('weak.pbkdf2@acme-demo.example')).toBeDefined();
  });
});
