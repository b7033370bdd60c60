import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { APPROVAL_STEPS } from '../../lambda/domain/approval.ts';
import { LIMITS, MessageSchema, type SlackMessage } from '../../lambda/notify/slack/block-kit.ts';
import {
  ACTION_APPROVE,
  ACTION_OPEN,
  ACTION_REJECT,
  cut,
  escapeMrkdwn,
  outcomeMessage,
  requestMessage,
  threadReply,
} from '../../lambda/notify/slack/messages.ts';
import { sampleNotification } from '../support/notifications.ts';

/** Every text object in a message (mrkdwn and plain), for checks on what untrusted text became. */
function texts(message: SlackMessage): string[] {
  const out: string[] = [];
  for (const block of message.blocks) {
    if (block.type === 'header') out.push(block.text.text);
    if (block.type === 'section') {
      if (block.text) out.push(block.text.text);
      for (const f of block.fields ?? []) out.push(f.text);
    }
    if (block.type === 'context') for (const e of block.elements) out.push(e.text);
  }
  return out;
}

function buttons(message: SlackMessage) {
  return message.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
}

describe('the Block Kit schema', () => {
  it('refuses what Slack refuses: too many blocks, a long header, a long button text, a missing text', () => {
    const ok = requestMessage(sampleNotification());
    expect(MessageSchema.safeParse(ok).success).toBe(true);
    const header = { type: 'header', text: { type: 'plain_text', text: 'x' } };
    expect(MessageSchema.safeParse({ text: 't', blocks: Array(51).fill(header) }).success).toBe(false);
    expect(MessageSchema.safeParse({ text: 't', blocks: Array(50).fill(header) }).success).toBe(true);
    const longHeader = { type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } };
    expect(MessageSchema.safeParse({ text: 't', blocks: [longHeader] }).success).toBe(false);
    const button = (text: string) => ({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text } }],
    });
    expect(MessageSchema.safeParse({ text: 't', blocks: [button('x'.repeat(75))] }).success).toBe(true);
    expect(MessageSchema.safeParse({ text: 't', blocks: [button('x'.repeat(76))] }).success).toBe(false);
    expect(MessageSchema.safeParse({ text: '', blocks: [header] }).success).toBe(false);
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } };
    expect(MessageSchema.safeParse({ text: 't', blocks: [section] }).success).toBe(false);
    const unknownField = { type: 'divider', colour: 'red' };
    expect(MessageSchema.safeParse({ text: 't', blocks: [unknownField] }).success).toBe(false);
  });
});

describe('the request message', () => {
  it('says what, who, risk, confidence, why, the evidence, the expiry, and links to the console', () => {
    const n = sampleNotification();
    const message = requestMessage(n);
    MessageSchema.parse(message);
    const all = texts(message).join('\n');
    expect(all).toContain('add Jane Doe (jane.doe@example.com) to the group "Admins"');
    expect(all).toContain('Jane Doe');
    expect(all).toContain('high');
    expect(all).toContain('82%');
    expect(all).toContain('Jane moved to the platform team');
    expect(all).toContain('department changed from Sales to Platform');
    expect(all).toContain(n.expiresAt);
    const link = buttons(message).find((b) => b.action_id === ACTION_OPEN);
    expect(link?.url).toBe(`http://127.0.0.1:8787/console/approvals/${n.approvalId}`);
    expect(link?.text.text).toBe('Open in console');
    expect(buttons(message).map((b) => b.action_id)).toEqual([ACTION_OPEN]);
  });

  it('after a decision it keeps no call to action: the link becomes "View in console"', () => {
    for (const step of ['approved', 'rejected', 'expired', 'executed', 'voided', 'failed'] as const) {
      const n = sampleNotification({
        step,
        overrides: { status: `${step} by alice.admin@example.com`, decidedBy: ['alice.admin@example.com'] },
      });
      const message = requestMessage(n, { buttons: true });
      MessageSchema.parse(message);
      expect(buttons(message).map((b) => [b.action_id, b.text.text])).toEqual([[ACTION_OPEN, 'View in console']]);
      expect(message.blocks[0]).toMatchObject({
        type: 'header',
        text: { text: expect.stringMatching(/^Approval request: /) },
      });
    }
  });

  it('offers Approve / Reject only when enabled, pending, and not critical', () => {
    const pending = sampleNotification({ overrides: { risk: 'high' } });
    expect(buttons(requestMessage(pending)).map((b) => b.action_id)).toEqual([ACTION_OPEN]);
    const offered = buttons(requestMessage(pending, { buttons: true }));
    expect(offered.map((b) => b.action_id)).toEqual([ACTION_OPEN, ACTION_APPROVE, ACTION_REJECT]);
    expect(JSON.parse(offered[1]?.value ?? '')).toEqual({ a: pending.approvalId, h: 'h' });
    const critical = sampleNotification({ overrides: { risk: 'critical' } });
    expect(buttons(requestMessage(critical, { buttons: true })).map((b) => b.action_id)).toEqual([ACTION_OPEN]);
  });

  it('escapes untrusted text so it can form no link or mention, and marks it verbatim', () => {
    const n = sampleNotification({
      overrides: {
        rationale: '<!channel> click <https://evil.example|here> & <@U123>',
        evidence: ['<!here>', '"><img src=x onerror=alert(1)>'],
        action: { type: 'add_to_group', text: 'add <@U999> to "Admins"', params: {} },
        facts: [{ label: 'Subject', value: '<https://evil.example|Jane>' }],
      },
    });
    const message = requestMessage(n);
    MessageSchema.parse(message);
    const mrkdwn = message.blocks.flatMap((b) =>
      b.type === 'section'
        ? [...(b.text ? [b.text] : []), ...(b.fields ?? [])]
        : b.type === 'context'
          ? b.elements
          : [],
    );
    for (const t of mrkdwn) {
      if (t.type === 'mrkdwn') expect(t.verbatim).toBe(true);
      // The only `<…>` hookpilot itself writes is the date; no untrusted `<` survives.
      expect(t.text.replace(/<!date\^\d+\^[^|>]*\|[^>]*>/g, '')).not.toMatch(/[<>]/);
    }
    expect(texts(message).join('\n')).toContain('&lt;!channel&gt; click &lt;https://evil.example|here&gt; &amp;');
    // The header is plain text: shown as written, never parsed.
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
  });

  test.prop(
    {
      text: fc.string({ unit: 'grapheme', maxLength: 6000 }),
      evidence: fc.array(fc.string({ maxLength: 4000 }), { maxLength: 40 }),
      facts: fc.array(fc.record({ label: fc.string({ maxLength: 300 }), value: fc.string({ maxLength: 5000 }) }), {
        maxLength: 20,
      }),
      step: fc.constantFrom(...APPROVAL_STEPS),
      risk: fc.constantFrom('low', 'medium', 'high', 'critical' as const),
    },
    { numRuns: 60 },
  )('any text of any length still makes a valid message for every step', ({ text, evidence, facts, step, risk }) => {
    const n = sampleNotification({
      step,
      overrides: {
        rationale: text,
        reason: text,
        status: text,
        headline: text,
        evidence,
        facts,
        risk,
        action: { type: 'x', text, params: {} },
      },
    });
    for (const message of [requestMessage(n, { buttons: true }), threadReply(n), outcomeMessage(n)]) {
      const parsed = MessageSchema.safeParse(message);
      expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
    }
  });
});

describe('thread replies and outcomes', () => {
  it('a decision reply names who decided and why', () => {
    const n = sampleNotification({
      step: 'rejected',
      overrides: {
        status: 'Rejected by alice.admin@example.com',
        decidedBy: ['alice.admin@example.com'],
        reason: 'not needed',
      },
    });
    const reply = threadReply(n);
    MessageSchema.parse(reply);
    expect(texts(reply).join('\n')).toMatch(/Rejected by alice\.admin@example\.com[\s\S]*not needed/);
  });

  it('the outcome message links to the console and carries no decision buttons', () => {
    const n = sampleNotification({
      step: 'executed',
      audience: 'outcome',
      overrides: { headline: 'Done: add Jane Doe to "Admins"', status: 'Executed' },
    });
    const message = outcomeMessage(n);
    MessageSchema.parse(message);
    expect(buttons(message).map((b) => [b.action_id, b.url])).toEqual([[ACTION_OPEN, n.consoleUrl]]);
  });
});

describe('helpers', () => {
  it('cut keeps within the limit, marks the cut, and never splits an escape or a surrogate pair', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('ab&amp;cd', 6)).toBe('ab…');
    expect(cut('a😀b', 3)).toBe('a…');
    expect(cut(escapeMrkdwn('<'.repeat(5000)), LIMITS.sectionText).length).toBeLessThanOrEqual(LIMITS.sectionText);
  });
});
