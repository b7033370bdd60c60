/** Any AWS SDK v3 client (only its middleware stack is used). */
interface AnyClient {
  readonly middlewareStack: { add: (...args: never[]) => unknown; remove: (name: string) => unknown };
}

export interface Fault {
  /** How many times the fault has fired. */
  readonly fired: () => number;
  remove(): void;
}

let counter = 0;

/**
 * Makes the real AWS SDK client fail the named command (e.g. `SendMessageBatchCommand`, `PutItemCommand`), `times` times
 * (default: until removed), as a network fault would: the request never reaches the emulator. Every other call goes
 * through untouched. `when` narrows it further (e.g. to one table).
 */
export function injectFault(
  client: AnyClient,
  commandName: string,
  options: { times?: number; error?: () => Error; when?: (input: Record<string, unknown>) => boolean } = {},
): Fault {
  let remaining = options.times ?? Number.POSITIVE_INFINITY;
  let fired = 0;
  const name = `hookpilot-fault-${++counter}`;
  // biome-ignore lint/suspicious/noExplicitAny: the smithy middleware types are generic over every client
  const stack = client.middlewareStack as any;
  stack.add(
    // biome-ignore lint/suspicious/noExplicitAny: see above
    (next: any, context: any) => async (args: any) => {
      if (context.commandName === commandName && remaining > 0 && (options.when?.(args.input) ?? true)) {
        remaining -= 1;
        fired += 1;
        const error =
          options.error?.() ??
          Object.assign(new Error(`injected fault: ${commandName}`), {
            name: 'NetworkingError',
            $retryable: { throttling: false },
          });
        throw error;
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { fired: () => fired, remove: () => stack.remove(name) };
}
