import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ActionMessage } from '../../lambda/domain/action-message.ts';
import { DynamoAuditLog } from '../../lambda/store/audit-log.ts';
import { DynamoGrantStore } from '../../lambda/store/grant-store.ts';
import { SqsQueue } from '../../lambda/store/sqs-queue.ts';
import { localDocuments, localSqs } from '../../local/resources.ts';
import { ROOT } from '../../local/stack.ts';
import { STATE_FILE } from '../../local/state.ts';
import { freshDelivery } from '../support/fixtures.ts';

/**
 * `npm start` as a user runs it: a separate process that must print the ready line, serve, persist on request, and on
 * SIGTERM stop every child — the DynamoDB Local JVM included.
 */
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    // `npm start` runs in a process group of its own (as in a terminal): end the whole group.
    if (!child.spawnargs.includes('start') || !child.pid) child.kill('SIGKILL');
    else
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group has ended
      }
  }
});

interface Running {
  child: ChildProcess;
  output: () => string;
  url: string;
  dynamoPort: string;
}

function start(args: string[], env: Record<string, string> = {}, viaNpm = false): Promise<Running> {
  const stackArgs = ['--port', '0', '--sim-port', '0', '--quiet', '--no-demo', ...args];
  const child = spawn(
    viaNpm ? 'npm' : process.execPath,
    viaNpm ? ['start', '--silent', '--', ...stackArgs] : ['--import', 'tsx', 'local/main.ts', ...stackArgs],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A terminal's Ctrl-C signals every process of the foreground group (npm, its shell, node): so does the test.
      detached: viaNpm,
    },
  );
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s:\n${output}`)), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${output}`));
    });
    child.stdout?.on('data', () => {
      if (!output.includes('hookpilot local stack ready')) return;
      clearTimeout(timer);
      const url = /gateway\s+(http:\/\/\S+)/.exec(output)?.[1];
      const dynamoPort = /DynamoDB Local\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (!url || !dynamoPort) return reject(new Error(`could not read the endpoints from:\n${output}`));
      resolve({ child, output: () => output, url, dynamoPort });
    });
  });
}

async function stop(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGTERM');
  return exited;
}

function jvmRunningOn(port: string): boolean {
  try {
    return (
      execFileSync('pgrep', ['-f', '--', `-port ${port} -disableTelemetry`], { encoding: 'utf8' }).trim().length > 0
    );
  } catch {
    return false; // pgrep exits 1 when nothing matches
  }
}

function auditOf(running: Running): DynamoAuditLog {
  return new DynamoAuditLog(localDocuments(`http://127.0.0.1:${running.dynamoPort}`), 'hookpilot-audit');
}

const post = (url: string, body: unknown) =>
  fetch(`${url}/okta/events`, {
    method: 'POST',
    headers: { authorization: 'local-only-hookpilot-event-hook-secret', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

// Each test starts (and one restarts) the whole local stack in a child process, JVM included; start() alone allows 60 s
// for the ready line, so the default 30 s test timeout is too tight on a loaded machine.
describe('npm start', { timeout: 150_000 }, () => {
  it('prints the endpoints, the labelled local secret and the ready line; SIGTERM stops everything, JVM included', async () => {
    const running = await start([], { HOOKPILOT_EVENT_HOOK_SECRET: '' });
    expect(running.output()).toContain('local-only-hookpilot-event-hook-secret');
    expect(running.output()).toMatch(/LOCAL-ONLY default/);
    expect(running.output()).toMatch(/Okta simulator\s+http:\/\/127\.0\.0\.1:\d+\s+63 users/);
    expect(running.output()).toMatch(/Okta API token\s+00LocalOktaSimulatorTokenNotASecret0+/);
    expect(running.output()).toMatch(/event hook who\w+ registered in the simulator and verified/);
    // The console's URL, and who can sign in to approve what.
    expect(running.output()).toMatch(/approvals console http:\/\/127\.0\.0\.1:\d+\/console\/approvals/);
    expect(running.output()).toMatch(
      /it-approvers \(low risk, medium risk, critical risk, critical slot 2\): \S+@acme-demo\.example/,
    );
    expect(jvmRunningOn(running.dynamoPort)).toBe(true);
    expect((await fetch(`${running.url}/health`)).status).toBe(200);

    expect(await stop(running)).toBe(0);
    expect(jvmRunningOn(running.dynamoPort)).toBe(false);
  });

  it('Ctrl-C on `npm start` (SIGINT to its whole process group) stops the stack cleanly: JVM gone, state file removed', async () => {
    const running = await start([], {}, true);
    expect(jvmRunningOn(running.dynamoPort)).toBe(true);
    const exited = new Promise((resolve) => running.child.once('exit', resolve));
    process.kill(-(running.child.pid ?? 0), 'SIGINT');
    await exited;
    // npm, a shell and tsx each pass the signal on: one Ctrl-C must not read as the second, "leave at once" one.
    await vi.waitFor(() => expect(running.output()).toContain('hookpilot: stopped'), { timeout: 10_000 });
    expect(existsSync(STATE_FILE)).toBe(false);
    expect(jvmRunningOn(running.dynamoPort)).toBe(false);
  });

  it('keeps the audit trail across restarts with --data-dir, so a repeated delivery is still recognised', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookpilot-data-'));
    try {
      const delivery = freshDelivery();
      const uuid = delivery.data.events[0]?.uuid ?? '';
      const kinds = async (running: Running) => (await auditOf(running).byCorrelation(uuid)).map((r) => r.kind);

      const first = await start(['--data-dir', dataDir], { HOOKPILOT_EVENT_HOOK_SECRET: '' });
      expect(first.output()).toContain(`data kept in ${dataDir}`);
      expect((await post(first.url, delivery)).status).toBe(204);
      await vi.waitFor(async () => expect(await kinds(first)).toEqual(['event.received', 'event.skipped']), {
        timeout: 15_000,
        interval: 100,
      });
      expect(await stop(first)).toBe(0);

      const second = await start(['--data-dir', dataDir], { HOOKPILOT_EVENT_HOOK_SECRET: '' });
      expect(await kinds(second)).toEqual(['event.received', 'event.skipped']);
      // Okta repeats it after our restart: answered 204. That a repeat queues nothing is shown where it can be observed
      // without waiting: receiver.test.ts ('changes nothing when Okta sends the same delivery again') and
      // local-stack.test.ts (the events worker takes nothing more). What is new here is that the receipts survived the
      // restart (read above, before the repeat); the receiver finds them through the same table.
      expect((await post(second.url, delivery)).status).toBe(204);
      // read through the CLI, as a user would
      const viaCli = execFileSync(process.execPath, ['bin/hookpilot.mjs', 'audit', '--event', uuid, '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect((JSON.parse(viaCli) as { kind: string }[]).map((r) => r.kind)).toEqual([
        'event.received',
        'event.skipped',
      ]);
      expect(await stop(second)).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000); // two stack starts (each may take start()'s 60 s on a busy machine)

  it('refuses a second stack in the same clone while one runs, and leaves its state file alone', async () => {
    const first = await start([]);
    const state = () => JSON.parse(readFileSync(STATE_FILE, 'utf8')) as { pid: number; url: string };
    expect(state().pid).toBe(first.child.pid);

    const second = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--port', '0', '--sim-port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(second);
    let stderr = '';
    second.stderr?.on('data', (d) => (stderr += d));
    expect(await new Promise((resolve) => second.once('exit', resolve))).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^hookpilot: a local stack is already running from this folder \\(pid ${first.child.pid}, `),
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(state().pid).toBe(first.child.pid);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);

    expect(await stop(first)).toBe(0);
    expect(existsSync(STATE_FILE)).toBe(false);
  }, 90_000); // a stack, then a second process, on a shared machine

  it('explains a missing Java in one line, without a stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, PATH: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^hookpilot: Java was not found: .*Java 17\+ runtime/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('revokes a time-bound grant after a restart with --data-dir: the second stack’s sweeper and executor end it', async () => {
    // The first stack (its sweeper off) executes a 3-second grant and records it, then stops; the second one, on the same
    // data dir — new processes, new queues — finds the expired grant with its own sweeper and revokes it. The Okta
    // simulator starts from its seed each time, so the membership made before the restart is not in the second one: the
    // inverse finds it "already done" (the path of access removed by hand) and the grant is revoked all the same. The
    // grant and its revocation live in the persisted table, not in a process.
    const dataDir = mkdtempSync(join(tmpdir(), 'hookpilot-grants-'));
    const grantsOf = (running: Running) =>
      new DynamoGrantStore(localDocuments(`http://127.0.0.1:${running.dynamoPort}`), 'hookpilot-grants');
    try {
      const first = await start(['--data-dir', dataDir], { HOOKPILOT_SWEEP_INTERVAL_SECONDS: '0' });
      const sqsUrl = /SQS emulator\s+(http:\/\/\S+)/.exec(first.output())?.[1] ?? '';
      const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as {
        resources: { queues: { actionsQueue: { url: string } } };
        okta: { orgUrl: string; token: string };
      };
      const users = (await (
        await fetch(
          `${state.okta.orgUrl}/api/v1/users?search=${encodeURIComponent('profile.login eq "sarah.mitchell@acme-demo.example"')}`,
          {
            headers: { authorization: `SSWS ${state.okta.token}` },
          },
        )
      ).json()) as { id: string }[];
      const groups = (await (
        await fetch(`${state.okta.orgUrl}/api/v1/groups?q=loc-berlin`, {
          headers: { authorization: `SSWS ${state.okta.token}` },
        })
      ).json()) as { id: string }[];
      const correlationId = `restart-${Date.now()}`;
      const message: ActionMessage = {
        schemaVersion: 1,
        actionId: `${correlationId}:0`,
        action: { type: 'group.add_member', params: { userId: users[0]?.id ?? '', groupId: groups[0]?.id ?? '' } },
        origin: { kind: 'manual', correlationId },
        decidedAt: new Date().toISOString(),
        durationSeconds: 3,
      };
      await new SqsQueue<ActionMessage>(localSqs(sqsUrl), state.resources.queues.actionsQueue.url, 'actions').send([
        { id: message.actionId, body: message },
      ]);
      await vi.waitFor(async () => expect((await grantsOf(first).get(message.actionId))?.state).toBe('active'), {
        timeout: 30_000,
        interval: 200,
      });
      expect(await stop(first)).toBe(0);

      const second = await start(['--data-dir', dataDir], { HOOKPILOT_SWEEP_INTERVAL_SECONDS: '1' });
      await vi.waitFor(async () => expect((await grantsOf(second).get(message.actionId))?.state).toBe('revoked'), {
        timeout: 45_000,
        interval: 250,
      });
      const kinds = (await auditOf(second).byCorrelation(correlationId)).map((r) => r.kind);
      expect(kinds.filter((k) => k === 'grant.granted')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'grant.revoked')).toHaveLength(1);
      expect(kinds).toEqual(expect.arrayContaining(['action.executed', 'action.already_done']));
      expect(await stop(second)).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000); // two stacks, one after the other, each with its DynamoDB Local JVM
});
