/**
 * A small client for the Okta simulator's HTTP API (Okta's own paths, plus `/__sim/…`), authenticated with its SSWS
 * token — what the CLI, the local stack's hook registration, the demo and the benchmarks use to act as an Okta admin.
 */
export class SimApiError extends Error {
  override readonly name = 'SimApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    /** 0 when nothing answered. */
    readonly status: number,
    readonly errorCode?: string,
    readonly summary?: string,
  ) {
    super(
      status === 0
        ? `nothing answers for ${method} ${path}`
        : `Okta answered ${status}${errorCode ? ` ${errorCode}` : ''} to ${method} ${path}${summary ? `: ${summary}` : ''}`,
    );
  }
}

export interface SimApi {
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function simApi(target: { orgUrl: string; token: string }): SimApi {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${target.orgUrl}${path}`, {
          method,
          headers: {
            authorization: `SSWS ${target.token}`,
            accept: 'application/json',
            'content-type': 'application/json',
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch {
        throw new SimApiError(method, path, 0);
      }
      const text = await response.text();
      let json: Record<string, unknown> | undefined;
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const summary = typeof json?.errorSummary === 'string' ? json.errorSummary : text.slice(0, 200);
        throw new SimApiError(
          method,
          path,
          response.status,
          typeof json?.errorCode === 'string' ? json.errorCode : undefined,
          summary,
        );
      }
      return json as T;
    },
  };
}
