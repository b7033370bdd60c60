/** The local gateway's port when neither --port nor HOOKPILOT_PORT says otherwise. */
export const DEFAULT_PORT = 8787;
