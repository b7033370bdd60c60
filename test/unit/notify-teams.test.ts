import { describe, expect, it } from 'vitest';
import { APPROVAL_STEPS } from '../../lambda/domain/approval.ts';
import { adaptiveCard, teamsMessage, text } from '../../lambda/notify/teams.ts';
import { NOTIFICATION_AUDIENCES } from '../../lambda/ports.ts';
import { adaptiveCardProblems } from '../support/adaptive-card.ts';
import { sampleNotification } from '../support/notifications.ts';

describe('the Teams Adaptive Card', () => {
  it.each(APPROVAL_STEPS.flatMap((step) => NOTIFICATION_AUDIENCES.map((audience) => [step, audience] as const)))(
    'is a valid Adaptive Card 1.5 for %s / %s',
    (step, audience) => {
      const message = teamsMessage(sampleNotification({ step, audience }));
      expect(message.type).toBe('message');
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(adaptiveCardProblems(message.attachments[0]?.content)).toEqual([]);
    },
  );

  it('the validator catches what is not Adaptive Card 1.5', () => {
    const card = adaptiveCard(sampleNotification());
    expect(adaptiveCardProblems({ ...card, version: '1.6' })).toContain('version must be "1.5" (got "1.6")');
    expect(adaptiveCardProblems({ ...card, body: [{ type: 'Bogus' }] }).join()).toMatch(/Unknown element type "Bogus"/);
    expect(adaptiveCardProblems({ ...card, body: [{ type: 'TextBlock', text: 'x', weight: 'heavy' }] }).join()).toMatch(
      /Invalid value "heavy"/,
    );
    expect(adaptiveCardProblems({ ...card, body: [{ type: 'TextBlock', text: 'x', colour: 'red' }] }).join()).toMatch(
      /round trip differs.*colour/,
    );
  });

  it('links to the console and names the facts', () => {
    const n = sampleNotification({ step: 'requested' });
    const card = adaptiveCard(n);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Review and decide', url: n.consoleUrl }]);
    const json = JSON.stringify(card);
    for (const fact of n.facts) expect(json).toContain(JSON.stringify(text(fact.label, 40)).slice(1, -1));
    expect(json).toContain('Jane moved to the platform team');
  });

  it('renders attacker-controlled text as text: Markdown is escaped, long text cut', () => {
    const hostile =
      'Eve [click me](https://evil.example) **now** <script>alert(1)</script> ![x](https://t.example/p.png)';
    const n = sampleNotification({
      overrides: {
        headline: `Approval needed: ${hostile}`,
        rationale: 'r'.repeat(5000),
        facts: [{ label: 'User', value: hostile }],
      },
    });
    const card = adaptiveCard(n);
    const json = JSON.stringify(card);
    expect(json).not.toContain('[click me](');
    expect(json).not.toContain('**now**');
    expect(json).toContain('\\\\[click me\\\\](https://evil.example)');
    expect(text('1. one\n- two\n# three', 100)).toBe('1\\. one\n\\- two\n\\# three');
    expect(json).not.toMatch(/r{1001}/);
    expect(adaptiveCardProblems(card)).toEqual([]);
  });

  it('keeps a card well under the Teams size limit even with a flood of evidence', () => {
    const n = sampleNotification({
      overrides: { evidence: Array.from({ length: 200 }, (_, i) => `${i} ${'e'.repeat(2000)}`) },
    });
    const size = Buffer.byteLength(JSON.stringify(teamsMessage(n)));
    expect(size).toBeLessThan(28 * 1024);
    expect(JSON.stringify(adaptiveCard(n))).toContain('and 192 more in the console');
  });
});
