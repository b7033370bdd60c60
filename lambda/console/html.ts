/**
 * The console's one way to write HTML: `html` is a tagged template that HTML-escapes every interpolated value unless
 * it is already `Html` (the result of another `html` template, or of `raw` for a constant the code owns). Profile text,
 * rationale, evidence and reasons are attacker-controlled; they only ever reach a page through `escapeHtml`.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text safe inside element content and inside a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

/** A fragment of markup that is already safe (never build one from untrusted text except through `html`). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(part);
}

/** `html\`<p>${untrusted}</p>\`` → escaped markup. Arrays are joined; `null`, `undefined` and `false` render nothing. */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0] ?? '';
  for (const [i, value] of values.entries()) out += render(value) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Markup the code itself wrote (a constant); never pass it anything that came from a request, Okta or the store. */
export const raw = (markup: string): Html => new Html(markup);
