/** A local stack problem the user can fix; `npm start` prints the message alone, without a stack trace. */
export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
}
