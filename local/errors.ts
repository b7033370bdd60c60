/**
 * A local stack problem the user can fix; `npm start` prints the message alone, without a stack trace. Pass `{ cause }`
 * (Error's own second argument) when it explains another error.
 */
export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
}
