import { type Command, InvalidArgumentError } from 'commander';
import { isId } from '../okta-sim/ids.ts';
import { SimApiError, simApi } from '../sim-api.ts';
import { CliError, print, requireLocalState } from './state.ts';

/**
 * `hookpilot sim …`: change the simulated Okta org the way an admin or an end user would, and watch the event hooks
 * arrive at the local stack. Everything goes through the simulator's Okta API (and its `/__sim` control API for what
 * Okta has no API for, such as failed sign-ins).
 */
async function okta(method: string, path: string, body?: unknown): Promise<unknown> {
  const { okta: sim } = requireLocalState();
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

export function registerSimCommands(program: Command): void {
  const sim = program
    .command('sim')
    .description('Change the simulated Okta org of the local stack (npm start) and watch the event hooks arrive');

  sim
    .command('info')
    .description('The simulator’s org URL and API token, to point the Okta SDK, Terraform or scripts at it')
    .option('--json', 'print {"orgUrl", "token"} as JSON')
    .action((options: { json?: boolean }) => {
      const { okta: info } = requireLocalState();
      if (options.json) print(JSON.stringify({ orgUrl: info.orgUrl, token: info.token }));
      else
        print(
          `orgUrl  ${info.orgUrl}\ntoken   ${info.token}  (Authorization: SSWS <token>)\nhook    ${info.eventHookId ?? '-'}`,
        );
    });

  sim
    .command('users')
    .description('List users (all statuses), optionally filtered')
    .option('--department <name>')
    .option('--status <status>')
    .option('--search <expression>', 'an Okta search expression, e.g. profile.title sw "VP"')
    .option('--json')
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
      if (options.json) return print(JSON.stringify(users, null, 2));
      for (const u of users) print(describe(u));
      print(`${users.length} user(s)`);
    });

  sim
    .command('groups')
    .description('List groups')
    .option('--json')
    .action(async (options: { json?: boolean }) => {
      const groups = (await okta('GET', '/api/v1/groups?limit=200')) as {
        id: string;
        type: string;
        profile: { name: string };
      }[];
      if (options.json) return print(JSON.stringify(groups, null, 2));
      for (const g of groups) print(`${g.id}  ${g.type.padEnd(11)} ${g.profile.name}`);
    });

  sim
    .command('create-user')
    .description('Create (and activate) a user — a joiner: Okta sends user.lifecycle.create and .activate')
    .requiredOption('--first <name>')
    .requiredOption('--last <name>')
    .requiredOption('--email <email>')
    .option('--department <name>')
    .option('--title <title>')
    .option('--city <city>')
    .option('--manager-id <employeeNumber>')
    .option('--staged', 'create it STAGED (not activated)')
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
      print(`created ${describe(created)}`);
    });

  sim
    .command('update-user')
    .description('Change profile attributes — a mover: Okta sends user.account.update_profile')
    .argument('<user>', 'id or login')
    .option('--department <name>')
    .option('--title <title>')
    .option('--city <city>')
    .option('--manager-id <employeeNumber>')
    .option('--set <name=value>', 'any profile attribute (repeatable)', collectPairs)
    .action(
      async (
        who: string,
        o: { department?: string; title?: string; city?: string; managerId?: string; set?: Record<string, string> },
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
        print(`updated ${describe(updated)}`);
      },
    );

  sim
    .command('lifecycle')
    .description(`Run a lifecycle operation (${LIFECYCLE.join(', ')}) — e.g. deactivate: a leaver`)
    .argument('<user>', 'id or login')
    .argument('<operation>')
    .action(async (who: string, operation: string) => {
      if (!LIFECYCLE.includes(operation)) throw new CliError(`operation must be one of ${LIFECYCLE.join(', ')}`);
      const target = await user(who);
      await okta(
        'POST',
        `/api/v1/users/${target.id}/lifecycle/${operation}${operation.includes('activate') ? '?sendEmail=false' : ''}`,
      );
      print(`${operation}: ${describe(await user(target.id))}`);
    });

  for (const [name, method, verb] of [
    ['add-to-group', 'PUT', 'added to'],
    ['remove-from-group', 'DELETE', 'removed from'],
  ] as const) {
    sim
      .command(name)
      .description(`${verb === 'added to' ? 'Add a user to' : 'Remove a user from'} a group (by id or name)`)
      .argument('<user>', 'id or login')
      .argument('<group>', 'id or exact name')
      .action(async (who: string, group: string) => {
        const [target, gid] = await Promise.all([user(who), groupId(group)]);
        await okta(method, `/api/v1/groups/${gid}/users/${target.id}`);
        print(`${target.profile.login} ${verb} ${group}`);
      });
  }

  sim
    .command('fail-logins')
    .description('Failed sign-ins by a user (user.session.start FAILURE; enough of them lock the account)')
    .argument('<user>', 'id or login')
    .option('--count <n>', 'how many', (v) => Number.parseInt(v, 10), 1)
    .option('--ip <address>', 'where they come from', '203.0.113.66')
    .action(async (who: string, o: { count: number; ip: string }) => {
      const target = await user(who);
      const result = (await okta('POST', `/__sim/users/${target.id}/sign-in-failures`, {
        count: o.count,
        ipAddress: o.ip,
      })) as {
        locked: boolean;
        status: string;
      };
      print(
        `${o.count} failed sign-in(s) for ${target.profile.login}; status ${result.status}${result.locked ? ' (locked out)' : ''}`,
      );
    });

  sim
    .command('event')
    .description('Append any System Log event (e.g. user.risk.detect) and deliver it to the hooks')
    .argument('<eventType>')
    .option('--target <user>', 'the user it is about (id or login)')
    .action(async (eventType: string, o: { target?: string }) => {
      const target = o.target ? await user(o.target) : undefined;
      const event = (await okta('POST', '/__sim/events', {
        eventType,
        ...(target ? { targetIds: [target.id], actorId: target.id } : {}),
      })) as { uuid: string };
      print(`appended ${eventType} ${event.uuid}`);
    });

  sim
    .command('deliveries')
    .description('Event hook deliveries the simulator made (newest last)')
    .option('--json')
    .action(async (o: { json?: boolean }) => {
      const deliveries = (await okta('GET', '/__sim/hooks/deliveries')) as {
        at: string;
        attempt: number;
        duplicate: boolean;
        outcome: string;
        status?: number;
        eventTypes: string[];
      }[];
      if (o.json) return print(JSON.stringify(deliveries, null, 2));
      for (const d of deliveries) {
        const note = `${d.attempt > 1 ? ' (retry)' : ''}${d.duplicate ? ' (duplicate)' : ''}`;
        print(`${d.at}  ${d.outcome.padEnd(9)} ${String(d.status ?? '-').padEnd(4)} ${d.eventTypes.join(', ')}${note}`);
      }
    });
}
