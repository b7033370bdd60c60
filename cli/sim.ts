import { Argument, type Command, InvalidArgumentError } from 'commander';
import { isId } from '../local/okta-sim/ids.ts';
import { SimApiError, simApi } from '../local/sim-api.ts';
import { positiveInt } from './options.ts';
import { CliError, print, printJson } from './output.ts';
import { localStack } from './target.ts';

/**
 * `hookpilot sim …`: change the simulated Okta org the way an admin or an end user would, and watch the event hooks
 * arrive at the local stack. Everything goes through the simulator's Okta API (and its `/__sim` control API for what
 * Okta has no API for, such as failed sign-ins).
 */
async function okta(method: string, path: string, body?: unknown): Promise<unknown> {
  const { okta: sim } = localStack();
  try {
    return await simApi(sim).call(method, path, body);
  } catch (error) {
    if (error instanceof SimApiError && error.status === 0) {
      throw new CliError(`the Okta simulator does not answer at ${sim.orgUrl}: is the local stack still running?`);
    }
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

interface SimUser {
  id: string;
  status: string;
  profile: Record<string, unknown> & { login: string };
}

const user = async (idOrLogin: string) =>
  (await okta('GET', `/api/v1/users/${encodeURIComponent(idOrLogin)}`)) as SimUser;

async function groupId(idOrName: string): Promise<string> {
  if (isId('group', idOrName)) return idOrName;
  const groups = (await okta('GET', `/api/v1/groups?q=${encodeURIComponent(idOrName)}&limit=50`)) as {
    id: string;
    profile: { name: string };
  }[];
  const match = groups.find((g) => g.profile.name.toLowerCase() === idOrName.toLowerCase());
  if (!match) throw new CliError(`no group named "${idOrName}" (see npx hookpilot sim groups)`);
  return match.id;
}

const describe = (u: SimUser) =>
  `${u.id}  ${u.status.padEnd(16)} ${u.profile.login.padEnd(38)} ${String(u.profile.department ?? '-').padEnd(12)} ${String(u.profile.title ?? '-').padEnd(32)} ${String(u.profile.city ?? '-')}`;

const collectPairs = (value: string, previous: Record<string, string> = {}) => {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected name=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
};

const LIFECYCLE = [
  'activate',
  'reactivate',
  'deactivate',
  'suspend',
  'unsuspend',
  'unlock',
  'expire_password',
  'reset_factors',
];

export function sim(program: Command): void {
  const group = program
    .command('sim')
    .description('Change the simulated Okta org of the local stack (npm start) and watch the event hooks arrive');

  group
    .command('info')
    .description('The simulator’s org URL and API token, to point the Okta SDK, Terraform or scripts at it')
    .option('--json', 'print {"orgUrl", "token"} as JSON')
    .action((options: { json?: boolean }) => {
      const { okta: info } = localStack();
      if (options.json) printJson({ orgUrl: info.orgUrl, token: info.token });
      else
        print(
          `orgUrl  ${info.orgUrl}\ntoken   ${info.token}  (Authorization: SSWS <token>)\nhook    ${info.eventHookId ?? '-'}`,
        );
    });

  group
    .command('users')
    .description('List users (all statuses), optionally filtered')
    .option('--department <name>', 'only this department')
    .option('--status <status>', 'only this status, e.g. ACTIVE, SUSPENDED, DEPROVISIONED')
    .option('--search <expression>', 'an Okta search expression, e.g. profile.title sw "VP"')
    .option('--json', 'print the users (Okta’s JSON) as an array')
    .action(async (options: { department?: string; status?: string; search?: string; json?: boolean }) => {
      const clauses = [
        options.search,
        options.department ? `profile.department eq "${options.department.replace(/"/g, '')}"` : undefined,
        options.status ? `status eq "${options.status.toUpperCase().replace(/"/g, '')}"` : undefined,
      ].filter(Boolean);
      const query =
        clauses.length > 0
          ? `search=${encodeURIComponent(clauses.join(' and '))}`
          : `search=${encodeURIComponent('status pr')}`;
      const users = (await okta('GET', `/api/v1/users?${query}&limit=200`)) as SimUser[];
      if (options.json) return printJson(users);
      for (const u of users) print(describe(u));
      print(`${users.length} user(s)`);
    });

  group
    .command('groups')
    .description('List groups')
    .option('--json', 'print the groups (Okta’s JSON) as an array')
    .action(async (options: { json?: boolean }) => {
      const groups = (await okta('GET', '/api/v1/groups?limit=200')) as {
        id: string;
        type: string;
        profile: { name: string };
      }[];
      if (options.json) return printJson(groups);
      for (const g of groups) print(`${g.id}  ${g.type.padEnd(11)} ${g.profile.name}`);
    });

  group
    .command('create-user')
    .description('Create (and activate) a user — a joiner: Okta sends user.lifecycle.create and .activate')
    .requiredOption('--first <name>', 'first name')
    .requiredOption('--last <name>', 'last name')
    .requiredOption('--email <email>', 'email address, also the login, e.g. ada.lovelace@acme-demo.example')
    .option('--department <name>', 'department, e.g. Sales')
    .option('--title <title>', 'job title')
    .option('--city <city>', 'city, e.g. London')
    .option('--manager-id <employeeNumber>', 'the manager’s employee number')
    .option('--staged', 'create it STAGED (not activated)')
    .option('--json', 'print the created user (Okta’s JSON)')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const profile = Object.fromEntries(
        Object.entries({
          firstName: o.first,
          lastName: o.last,
          email: o.email,
          login: o.email,
          department: o.department,
          title: o.title,
          city: o.city,
          managerId: o.managerId,
        }).filter(([, v]) => v !== undefined),
      );
      const created = (await okta('POST', `/api/v1/users?activate=${o.staged ? 'false' : 'true'}`, {
        profile,
      })) as SimUser;
      if (o.json) return printJson(created);
      print(`created ${describe(created)}`);
    });

  group
    .command('update-user')
    .description('Change profile attributes — a mover: Okta sends user.account.update_profile')
    .argument('<user>', 'id or login')
    .option('--department <name>', 'new department')
    .option('--title <title>', 'new job title')
    .option('--city <city>', 'new city')
    .option('--manager-id <employeeNumber>', 'the new manager’s employee number')
    .option('--set <name=value>', 'any profile attribute (repeatable)', collectPairs)
    .option('--json', 'print the updated user (Okta’s JSON)')
    .action(
      async (
        who: string,
        o: {
          department?: string;
          title?: string;
          city?: string;
          managerId?: string;
          set?: Record<string, string>;
          json?: boolean;
        },
      ) => {
        const profile = Object.fromEntries(
          Object.entries({
            department: o.department,
            title: o.title,
            city: o.city,
            managerId: o.managerId,
            ...o.set,
          }).filter(([, v]) => v !== undefined),
        );
        if (Object.keys(profile).length === 0)
          throw new CliError('nothing to change: pass --department, --title, --city, --manager-id or --set');
        const target = await user(who);
        const updated = (await okta('POST', `/api/v1/users/${target.id}`, { profile })) as SimUser;
        if (o.json) return printJson(updated);
        print(`updated ${describe(updated)}`);
      },
    );

  group
    .command('lifecycle')
    .description(`Run a lifecycle operation (${LIFECYCLE.join(', ')}) — e.g. deactivate: a leaver`)
    .argument('<user>', 'id or login')
    .addArgument(new Argument('<operation>', 'what to do').choices(LIFECYCLE))
    .option('--json', 'print the user afterwards (Okta’s JSON)')
    .action(async (who: string, operation: string, o: { json?: boolean }) => {
      const target = await user(who);
      await okta(
        'POST',
        `/api/v1/users/${target.id}/lifecycle/${operation}${operation.includes('activate') ? '?sendEmail=false' : ''}`,
      );
      const after = await user(target.id);
      if (o.json) return printJson(after);
      print(`${operation}: ${describe(after)}`);
    });

  for (const [name, method, verb] of [
    ['add-to-group', 'PUT', 'added to'],
    ['remove-from-group', 'DELETE', 'removed from'],
  ] as const) {
    group
      .command(name)
      .description(`${verb === 'added to' ? 'Add a user to' : 'Remove a user from'} a group (by id or name)`)
      .argument('<user>', 'id or login')
      .argument('<group>', 'id or exact name')
      .option('--json', 'print {userId, groupId} as JSON')
      .action(async (who: string, group: string, o: { json?: boolean }) => {
        const [target, gid] = await Promise.all([user(who), groupId(group)]);
        await okta(method, `/api/v1/groups/${gid}/users/${target.id}`);
        if (o.json) return printJson({ userId: target.id, groupId: gid });
        print(`${target.profile.login} ${verb} ${group}`);
      });
  }

  group
    .command('fail-logins')
    .description('Failed sign-ins by a user (user.session.start FAILURE; enough of them lock the account)')
    .argument('<user>', 'id or login')
    .option('--count <n>', 'how many (up to 100)', positiveInt(100), 1)
    .option('--ip <address>', 'where they come from', '203.0.113.66')
    .option('--json', 'print {userId, failures, status, locked} as JSON')
    .action(async (who: string, o: { count: number; ip: string; json?: boolean }) => {
      const target = await user(who);
      const result = (await okta('POST', `/__sim/users/${target.id}/sign-in-failures`, {
        count: o.count,
        ipAddress: o.ip,
      })) as {
        locked: boolean;
        status: string;
      };
      if (o.json)
        return printJson({ userId: target.id, failures: o.count, status: result.status, locked: result.locked });
      print(
        `${o.count} failed sign-in(s) for ${target.profile.login}; status ${result.status}${result.locked ? ' (locked out)' : ''}`,
      );
    });

  group
    .command('event')
    .description('Append any System Log event (e.g. user.risk.detect) and deliver it to the hooks')
    .argument('<eventType>', 'an Okta event type, e.g. user.risk.detect')
    .option('--target <user>', 'the user it is about (id or login)')
    .option('--json', 'print the appended event (Okta’s LogEvent JSON)')
    .action(async (eventType: string, o: { target?: string; json?: boolean }) => {
      const target = o.target ? await user(o.target) : undefined;
      const event = (await okta('POST', '/__sim/events', {
        eventType,
        ...(target ? { targetIds: [target.id], actorId: target.id } : {}),
      })) as { uuid: string };
      if (o.json) return printJson(event);
      print(`appended ${eventType} ${event.uuid}`);
    });

  group
    .command('deliveries')
    .description('Event hook deliveries the simulator made (newest last)')
    .option('--json', 'print the deliveries as a JSON array')
    .action(async (o: { json?: boolean }) => {
      const deliveries = (await okta('GET', '/__sim/hooks/deliveries')) as {
        at: string;
        attempt: number;
        duplicate: boolean;
        outcome: string;
        status?: number;
        eventTypes: string[];
      }[];
      if (o.json) return printJson(deliveries);
      for (const d of deliveries) {
        const note = `${d.attempt > 1 ? ' (retry)' : ''}${d.duplicate ? ' (duplicate)' : ''}`;
        print(`${d.at}  ${d.outcome.padEnd(9)} ${String(d.status ?? '-').padEnd(4)} ${d.eventTypes.join(', ')}${note}`);
      }
    });
}
