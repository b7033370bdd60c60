import { z } from 'zod';

/**
 * The subset of Slack's Block Kit that hookpilot's messages use, as zod schemas carrying Slack's documented limits
 * (docs.slack.dev, "Block Kit" reference: blocks, block elements, composition objects). Slack publishes no runtime
 * JSON Schema for Block Kit (`@slack/types` is TypeScript types only), so this is the check: the builders' tests
 * validate every message against it, and the local Slack stand-in refuses a message that breaks it with
 * `invalid_blocks`, as Slack does. Strict objects: a misspelt field fails here rather than being ignored by Slack.
 */

export const LIMITS = {
  blocksPerMessage: 50,
  /** `text` of a message (the notification fallback); Slack truncates past 40,000. */
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

const PlainText = (max: number) =>
  z.strictObject({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });

const TextObject = (max: number) =>
  z.discriminatedUnion('type', [
    PlainText(max),
    z.strictObject({
      type: z.literal('mrkdwn'),
      text: z.string().min(1).max(max),
      verbatim: z.boolean().optional(),
    }),
  ]);

const BlockId = z.string().min(1).max(LIMITS.blockId).optional();

const Confirm = z.strictObject({
  title: PlainText(LIMITS.confirmTitle),
  text: TextObject(LIMITS.confirmText),
  confirm: PlainText(LIMITS.confirmButton),
  deny: PlainText(LIMITS.confirmButton),
  style: z.enum(['primary', 'danger']).optional(),
});

export const ButtonSchema = z.strictObject({
  type: z.literal('button'),
  text: PlainText(LIMITS.buttonText),
  action_id: z.string().min(1).max(LIMITS.actionId),
  url: z
    .url({ protocol: /^https?$/ })
    .max(LIMITS.buttonUrl)
    .optional(),
  value: z.string().max(LIMITS.buttonValue).optional(),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: Confirm.optional(),
  accessibility_label: z.string().min(1).max(75).optional(),
});

export const BlockSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: PlainText(LIMITS.headerText), block_id: BlockId }),
  z
    .strictObject({
      type: z.literal('section'),
      text: TextObject(LIMITS.sectionText).optional(),
      fields: z.array(TextObject(LIMITS.fieldText)).min(1).max(LIMITS.sectionFields).optional(),
      accessory: ButtonSchema.optional(),
      block_id: BlockId,
    })
    .refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields'),
  z.strictObject({
    type: z.literal('context'),
    elements: z.array(TextObject(LIMITS.sectionText)).min(1).max(LIMITS.contextElements),
    block_id: BlockId,
  }),
  z.strictObject({ type: z.literal('divider'), block_id: BlockId }),
  z.strictObject({
    type: z.literal('actions'),
    elements: z.array(ButtonSchema).min(1).max(LIMITS.actionsElements),
    block_id: BlockId,
  }),
]);
export type Block = z.infer<typeof BlockSchema>;
export type Button = z.infer<typeof ButtonSchema>;

/** A message's content as `chat.postMessage` / `chat.update` take it: the fallback `text` and the blocks. */
export const MessageSchema = z
  .strictObject({
    text: z.string().min(1).max(LIMITS.messageText),
    blocks: z.array(BlockSchema).min(1).max(LIMITS.blocksPerMessage),
  })
  .superRefine((message, ctx) => {
    const seen = new Set<string>();
    message.blocks.forEach((block, index) => {
      if (block.block_id === undefined) return;
      if (seen.has(block.block_id)) {
        ctx.addIssue({ code: 'custom', path: ['blocks', index, 'block_id'], message: 'block_id must be unique' });
      }
      seen.add(block.block_id);
    });
    const actionIds = new Set<string>();
    message.blocks.forEach((block, index) => {
      if (block.type !== 'actions') return;
      for (const element of block.elements) {
        if (actionIds.has(element.action_id)) {
          ctx.addIssue({ code: 'custom', path: ['blocks', index], message: 'action_id must be unique in a message' });
        }
        actionIds.add(element.action_id);
      }
    });
  });
export type SlackMessage = z.infer<typeof MessageSchema>;
