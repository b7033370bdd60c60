/**
 * A worked consumer of hookpilot's approval queue (docs/approval-queue.md): opens a ticket when an approval is
 * requested and closes it on any terminal step. Deploy it as a Lambda with the approval queue as its event source
 * (batch item failures on); TICKETS_URL is your ticketing system's API (ServiceNow, Jira, … behind a small adapter).
 * Duplicates and disorder are harmless: the ticket system is keyed by the approval id and applies a step only if its
 * `sequence` is higher than the last one it applied (so a late duplicate `requested` never reopens a closed ticket).
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const TERMINAL = new Set(['rejected', 'expired', 'cancelled', 'executed', 'voided', 'failed']);

interface ApprovalCloudEvent {
  id: string;
  type: string; // dev.hookpilot.approval.<step>
  subject: string; // the approval id
  data: { schemaVersion: number; state: string; sequence: number; action: { type: string }; risk: string } & Record<
    string,
    unknown
  >;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const message = JSON.parse(record.body) as ApprovalCloudEvent;
      if (message.data.schemaVersion !== 1) continue; // a major version this consumer does not know
      const step = message.type.replace('dev.hookpilot.approval.', '');
      const ticket = `${process.env.TICKETS_URL}/tickets/${encodeURIComponent(message.subject)}`;
      const body = { eventId: message.id, sequence: message.data.sequence, step, data: message.data };
      if (step === 'requested') {
        await send('PUT', ticket, { ...body, title: `Approve ${message.data.action.type} (${message.data.risk})` });
      } else if (TERMINAL.has(step)) {
        await send('POST', `${ticket}/close`, { ...body, resolution: message.data.state });
      } // reminded / escalated / approved: add a comment, page someone… or ignore; unknown steps: ignore
    } catch {
      failures.push({ itemIdentifier: record.messageId }); // retried by SQS, then its DLQ
    }
  }
  return { batchItemFailures: failures };
}

async function send(method: string, url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok && response.status !== 409) throw new Error(`ticket API answered ${response.status}`);
}
