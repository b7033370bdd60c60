import { httpHandler } from './http.ts';

/** `GET /health`: liveness only; touches no dependency and needs no credentials. */
export const handler = httpHandler(async () => ({ status: 200, body: { status: 'ok', service: 'hookpilot' } }));
