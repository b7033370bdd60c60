import { DISPOSABLE_EMAIL_DOMAINS } from '../domain/disposable-domains.ts';
import type { RegistrationRules } from '../domain/inline-config.ts';
import {
  type InlineErrorCause,
  type InlineResponse,
  type ProfileValues,
  progressiveProfileUpdate,
  registrationAction,
  registrationProfileUpdate,
} from '../okta/inline-commands.ts';
import { type RegistrationRequest, type RegistrationView, registrationView } from '../okta/inline-registration.ts';
import type { RegistrationScreen } from '../ports.ts';
import type { InlineDecision, InlineUseCase } from './inline-decision.ts';

/** The rules' answer: allow (with enrichment) or deny (with one cause per field at fault). */
export interface RegistrationVerdict {
  readonly allow: boolean;
  /** The rule that decided: the first cause's reason, an enrichment rule's name, or `rules`. */
  readonly rule: string;
  readonly summary?: string;
  readonly causes: readonly InlineErrorCause[];
  readonly enrichment: ProfileValues;
}

const EMAIL = /^[^\s@]{1,64}@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/;

/** `*.example.com` matches every subdomain of example.com; anything else matches exactly. */
export function matchesDomain(domain: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) return domain.endsWith(pattern.slice(1));
  return domain === pattern;
}

/**
 * The deterministic registration rules (policy/inline-hooks.json `registration`): denied and disposable email domains,
 * the allow list, required attributes, value formats and lengths. Every failed check becomes an error cause pointing at
 * its field, so the Sign-In Widget shows it there. On ALLOW, the enrichment rules of the email's domain fill in the
 * attributes the person did not submit (self-service registration only).
 */
export function applyRegistrationRules(view: RegistrationView, rules: RegistrationRules): RegistrationVerdict {
  const causes: InlineErrorCause[] = [];
  const cause = (attribute: string, reason: string, errorSummary: string) =>
    causes.push({
      errorSummary,
      reason,
      locationType: 'body',
      location: `${view.location}.${attribute}`,
      domain: 'end-user',
    });

  for (const attribute of rules.requiredAttributes) {
    // A progressive profile only changes some attributes: a required one may not be emptied, need not be resent.
    if (view.kind === 'progressive' && !Object.hasOwn(view.submitted, attribute)) continue;
    if (isBlank(view.submitted[attribute])) cause(attribute, 'MISSING_ATTRIBUTE', `${label(attribute)} is required.`);
  }
  for (const [attribute, value] of Object.entries(view.submitted)) {
    if (typeof value === 'string' && value.length > rules.maxLength) {
      cause(attribute, 'TOO_LONG', `${label(attribute)} must be at most ${rules.maxLength} characters.`);
    }
  }
  for (const [attribute, pattern] of Object.entries(rules.formats)) {
    const value = view.submitted[attribute];
    if (isBlank(value)) continue;
    if (!new RegExp(`^(?:${pattern})$`, 'u').test(String(value).trim())) {
      cause(attribute, 'INVALID_FORMAT', `${label(attribute)} is not in the expected format.`);
    }
  }

  let domain: string | undefined;
  const email = view.submitted.email;
  if (!isBlank(email)) {
    const match = typeof email === 'string' ? EMAIL.exec(email.trim().toLowerCase()) : null;
    if (!match?.[1]) cause('email', 'INVALID_EMAIL', 'Enter a valid email address.');
    else domain = match[1];
  }
  let summary: string | undefined;
  if (domain !== undefined) {
    const d = domain;
    if (rules.deniedEmailDomains.some((p) => matchesDomain(d, p))) {
      cause('email', 'DENIED_EMAIL_DOMAIN', `Email domain ${d} may not register.`);
      summary = rules.messages.domainDenied;
    } else if (
      rules.denyDisposable &&
      (DISPOSABLE_EMAIL_DOMAINS.has(d) || rules.disposableDomains.some((p) => matchesDomain(d, p)))
    ) {
      cause('email', 'DISPOSABLE_EMAIL_DOMAIN', 'Disposable email addresses cannot be used to register.');
      summary = rules.messages.disposable;
    } else if (rules.allowedEmailDomains.length > 0 && !rules.allowedEmailDomains.some((p) => matchesDomain(d, p))) {
      cause('email', 'INVALID_EMAIL_DOMAIN', `Email domain ${d} is not on the allow list.`);
      summary = rules.messages.domainNotAllowed;
    }
  }

  if (causes.length > 0) {
    return {
      allow: false,
      rule: (causes[0]?.reason ?? 'rules').toLowerCase(),
      summary: summary ?? rules.messages.invalidFields,
      causes,
      enrichment: {},
    };
  }
  if (view.kind === 'registration' && domain !== undefined) {
    const d = domain;
    const enrich = rules.enrich.find((r) => r.emailDomains.some((p) => matchesDomain(d, p)));
    if (enrich) {
      const enrichment = Object.fromEntries(
        Object.entries(enrich.set).filter(([attribute]) => isBlank(view.submitted[attribute])),
      );
      return { allow: true, rule: enrich.name ?? `enrich:${d}`, causes: [], enrichment };
    }
  }
  return { allow: true, rule: 'rules', causes: [], enrichment: {} };
}

/** The screen's say, applied: it can turn ALLOW into DENY, and nothing else. */
export function tighten(
  verdict: RegistrationVerdict,
  screened: { readonly verdict: 'allow' | 'deny' },
  location: RegistrationView['location'],
): RegistrationVerdict {
  if (!verdict.allow || screened.verdict !== 'deny') return verdict;
  return {
    allow: false,
    rule: 'risk_screen',
    summary: 'This registration could not be accepted.',
    causes: [
      {
        errorSummary: 'This registration could not be accepted.',
        reason: 'RISK_SCREEN',
        locationType: 'body',
        location,
        domain: 'end-user',
      },
    ],
    enrichment: {},
  };
}

/** The answer for Okta. Any `error` object denies (§2.4), so ALLOW never carries one. */
export function registrationResponse(view: RegistrationView, verdict: RegistrationVerdict): InlineResponse {
  if (!verdict.allow) {
    return {
      commands: [registrationAction('DENY')],
      error: { errorSummary: verdict.summary ?? 'Registration denied.', errorCauses: verdict.causes },
    };
  }
  if (view.kind === 'progressive') {
    // The changed attributes, trimmed (rules passed); `com.okta.user.profile.update` is not allowed here.
    return { commands: [progressiveProfileUpdate(profileValues(view.submitted))] };
  }
  const enrichment = Object.keys(verdict.enrichment).length > 0 ? [registrationProfileUpdate(verdict.enrichment)] : [];
  return { commands: [...enrichment, registrationAction('ALLOW')] };
}

export interface RegistrationDeps {
  readonly rules: RegistrationRules;
  /** The optional risk screen (only consulted when `rules.modelScreen.enabled`). */
  readonly screen?: RegistrationScreen;
}

/** Time kept back from the screen for answering and auditing. */
const SCREEN_RESERVE_MS = 300;

export function registrationUseCase(deps: RegistrationDeps): InlineUseCase<RegistrationRequest> {
  return async (request, { budget }) => {
    const view = registrationView(request.body);
    const rules = applyRegistrationRules(view, deps.rules);
    let verdict = rules;
    let fallback: string | undefined;
    if (rules.allow && deps.rules.modelScreen.enabled && deps.screen) {
      const screen = deps.screen;
      const step = await budget.step(
        (signal) => screen.screen({ kind: view.kind, attributes: screenInput(view) }, signal),
        {
          timeoutMs: deps.rules.modelScreen.timeoutMs,
          reserveMs: SCREEN_RESERVE_MS,
        },
      );
      if (step.ok) verdict = tighten(rules, step.value, view.location);
      else fallback = `risk_screen_${step.reason}`;
    }
    return decision(view, verdict, fallback);
  };
}

function decision(view: RegistrationView, verdict: RegistrationVerdict, fallback: string | undefined): InlineDecision {
  return {
    response: registrationResponse(view, verdict),
    outcome: verdict.allow ? 'ALLOW' : 'DENY',
    rule: verdict.rule,
    ...(verdict.allow ? {} : { reason: verdict.causes.map((c) => c.reason).join(',') }),
    ...(fallback ? { fallback } : {}),
    ...(view.userId ? { subjectUserId: view.userId } : {}),
    detail: {
      requestKind: view.kind,
      attributes: Object.keys(view.submitted).slice(0, 50),
      enriched: Object.keys(verdict.enrichment),
    },
  };
}

/** What the screen sees: the submitted values as strings, each at most 256 characters, nothing else. */
function screenInput(view: RegistrationView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attribute, value] of Object.entries(view.submitted).slice(0, 50)) {
    if (value === null || value === undefined || typeof value === 'object') continue;
    out[attribute.slice(0, 100)] = String(value).slice(0, 256);
  }
  return out;
}

function profileValues(values: Readonly<Record<string, unknown>>): ProfileValues {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [attribute, value] of Object.entries(values)) {
    if (typeof value === 'string') out[attribute] = value.trim();
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) out[attribute] = value;
  }
  return out;
}

const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** `firstName` → `First name`, for messages shown next to the field. */
function label(attribute: string): string {
  const words = attribute
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
