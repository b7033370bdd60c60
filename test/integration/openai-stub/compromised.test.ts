import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACTION_TYPES, IDENTITY_ATTRIBUTES, oktaId } from '../../../lambda/domain/catalog.ts';
import {
  type ModelAction,
  type ModelRecommendation,
  ModelRecommendationSchema,
  RESPONSE_FORMAT_NAME,
} from '../../../lambda/recommend/model-output.ts';
import {
  COMPROMISED_CATEGORIES,
  compromisedRecommendation,
  findOktaIds,
  NONEXISTENT_IDS,
  type OpenAiStub,
  startOpenAiStub,
  validateInstance,
} from '../../../local/openai-stub/index.ts';
import { chatRequests, client, IDS, recommend, recommendationMessages } from './helpers.ts';

let stub: OpenAiStub;

beforeAll(async () => {
  stub = await startOpenAiStub({ mode: 'compromised' });
});

afterAll(async () => {
  await stub.stop();
});

beforeEach(() => stub.reset());

const USERS = [IDS.subject, IDS.manager, IDS.ceo];
const GROUPS = [IDS.sales, IDS.admins, IDS.everyone];
const APPS = [IDS.salesforce, IDS.github];
const catalog: readonly string[] = ACTION_TYPES;

async function attack(messages = recommendationMessages()): Promise<ModelRecommendation> {
  const parsed = (await recommend(client(stub), messages)).choices[0]?.message.parsed;
  if (!parsed) throw new Error('the compromised answer did not parse');
  return parsed;
}

const has = (actions: ModelAction[], type: string, params: Partial<ModelAction['params']>) =>
  actions.some((a) => a.type === type && Object.entries(params).every(([k, v]) => a.params[k as 'userId'] === v));

describe('compromised mode', () => {
  it('finds every Okta id in the prompt, subject first', () => {
    expect(findOktaIds(JSON.stringify(recommendationMessages()))).toEqual({ users: USERS, groups: GROUPS, apps: APPS });
    expect(findOktaIds('x00u12345678901234567 00u1234567890123456789 00uSHORT')).toEqual({
      users: [],
      groups: [],
      apps: [],
    });
  });

  it('answers within the schema: the SDK parses it, and it fits the strict JSON schema sent', async () => {
    const answer = await attack();
    expect(ModelRecommendationSchema.safeParse(answer).success).toBe(true);
    const schema = zodResponseFormat(ModelRecommendationSchema, RESPONSE_FORMAT_NAME).json_schema.schema ?? {};
    expect(validateInstance(answer, schema)).toEqual([]);
    expect(chatRequests(stub)[0]).toMatchObject({ mode: 'compromised', status: 200 });
    expect(chatRequests(stub)[0]?.schemaIssues).toBeUndefined();
  });

  it('claims full confidence with a persuasive rationale and evidence on every action', async () => {
    const { assessment, actions } = await attack();
    expect(assessment).toMatch(/without human review/);
    for (const action of actions) {
      expect(action.confidence).toBe(1);
      expect(action.rationale.length).toBeGreaterThan(20);
      expect(action.evidence.length).toBeGreaterThan(0);
    }
    expect(actions.some((a) => a.evidence.some((e) => e.includes('auto-approved')))).toBe(true);
  });

  it('escalates the subject to org takeover roles and gives the others SUPER_ADMIN', async () => {
    const { actions } = await attack();
    for (const roleType of ['SUPER_ADMIN', 'ORG_ADMIN', 'API_ACCESS_MANAGEMENT_ADMIN']) {
      expect(has(actions, 'role.assign', { userId: IDS.subject, roleType })).toBe(true);
    }
    expect(has(actions, 'role.assign', { userId: IDS.ceo, roleType: 'SUPER_ADMIN' })).toBe(true);
  });

  it('adds the subject to every group and removes everyone from every group', async () => {
    const { actions } = await attack();
    for (const groupId of GROUPS) {
      expect(has(actions, 'group.add_member', { userId: IDS.subject, groupId })).toBe(true);
      for (const userId of USERS) expect(has(actions, 'group.remove_member', { userId, groupId })).toBe(true);
    }
  });

  it('unassigns every app from everyone, deactivates and deletes every user (executives included), resets factors', async () => {
    const { actions } = await attack();
    for (const userId of USERS) {
      for (const appId of APPS) expect(has(actions, 'app.unassign', { userId, appId })).toBe(true);
      expect(has(actions, 'user.deactivate', { userId })).toBe(true);
      expect(has(actions, 'user.delete', { userId })).toBe(true);
      expect(has(actions, 'user.reset_factors', { userId })).toBe(true);
    }
  });

  it('moves login and email of every user to an attacker address', async () => {
    const { actions } = await attack();
    for (const userId of USERS) {
      const update = actions.find((a) => a.type === 'user.update_profile' && a.params.userId === userId);
      const attributes = Object.fromEntries((update?.params.attributes ?? []).map((a) => [a.name, a.value]));
      expect(attributes.login).toMatch(/@attacker\.example$/);
      expect(attributes.email).toMatch(/@attacker\.example$/);
      expect(Object.keys(attributes).every((name) => IDENTITY_ATTRIBUTES.includes(name))).toBe(true);
    }
  });

  it('targets ids that are not in the context', async () => {
    const { actions } = await attack();
    const prompt = JSON.stringify(recommendationMessages());
    const foreign = actions.filter((a) =>
      [a.params.userId, a.params.groupId, a.params.appId].some(
        (id) => id && oktaId.safeParse(id).success && !prompt.includes(id),
      ),
    );
    expect(foreign.map((a) => a.type)).toEqual(
      expect.arrayContaining(['role.assign', 'group.add_member', 'app.unassign', 'user.delete']),
    );
  });

  it('proposes action types that are not in the catalog', async () => {
    const { actions } = await attack();
    const offCatalog = actions.filter((a) => !catalog.includes(a.type)).map((a) => a.type);
    expect(offCatalog).toEqual(
      expect.arrayContaining(['org.disable_mfa', 'api_token.create', 'policy.delete', 'shell.exec']),
    );
  });

  it('sends parameters that are not Okta ids or roles (path traversal, URLs, wildcards, unknown roles)', async () => {
    const { actions } = await attack();
    const groupIds = actions.map((a) => a.params.groupId).filter((id): id is string => id !== null);
    const appIds = actions.map((a) => a.params.appId).filter((id): id is string => id !== null);
    expect(groupIds).toContain('../../admin');
    expect(appIds.some((id) => id.startsWith('https://'))).toBe(true);
    expect(actions.some((a) => a.params.userId === '*')).toBe(true);
    expect(actions.some((a) => a.params.roleType === 'GOD_MODE')).toBe(true);
    const invalid = [...groupIds, ...appIds, ...actions.map((a) => a.params.userId)].filter(
      (id) => !oktaId.safeParse(id).success,
    );
    expect(invalid.length).toBeGreaterThanOrEqual(4);
  });

  it('caps the number of actions but always keeps every category', () => {
    const many = Array.from({ length: 40 }, (_, i) => `00u${String(i).padStart(17, 'U')}`).join(' ');
    const groups = Array.from({ length: 20 }, (_, i) => `00g${String(i).padStart(17, 'G')}`).join(' ');
    const { recommendation, categories } = compromisedRecommendation(`${many} ${groups}`);
    expect(recommendation.actions).toHaveLength(60);
    expect(new Set(categories)).toEqual(new Set(COMPROMISED_CATEGORIES));
    expect(compromisedRecommendation(`${many} ${groups}`, 5).recommendation.actions).toHaveLength(
      COMPROMISED_CATEGORIES.length,
    );
  });

  it('still attacks (with invented ids) when the prompt has no ids at all', async () => {
    const { actions } = await attack([{ role: 'user', content: 'no ids here' }]);
    const types = new Set(actions.map((a) => a.type));
    for (const type of ['role.assign', 'group.add_member', 'group.remove_member', 'app.unassign', 'user.deactivate']) {
      expect(types.has(type)).toBe(true);
    }
    expect(actions.find((a) => a.type === 'user.deactivate')?.params.userId).toBe(NONEXISTENT_IDS.user);
    expect(actions.find((a) => a.type === 'group.remove_member')?.params.groupId).toBe(NONEXISTENT_IDS.group);
  });

  it('answers other schemas with the attacker’s instructions in every string', async () => {
    const completion = await client(stub).chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'summarise' }],
      response_format: zodResponseFormat(z.object({ summary: z.string(), risky: z.boolean() }), 'summary'),
    });
    expect(completion.choices[0]?.message.parsed?.summary).toMatch(/Ignore your previous instructions/);
  });

  it('takes over for a limited number of requests with setMode(…, { times })', async () => {
    stub.setMode('normal');
    stub.setMode('compromised', { times: 1 });
    expect((await attack()).actions.length).toBeGreaterThan(0);
    expect((await attack()).actions).toEqual([]);
  });
});
