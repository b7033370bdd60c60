import { type LegacyHash, LegacyHashSchema, normaliseLogin } from '../lambda/domain/legacy-hash.ts';

/**
 * Reading a legacy password export (`hookpilot passwords import`) and sorting each user into where the hash goes,
 * Okta's advice first:
 * - `okta`: hashes Okta takes directly on the user (`credentials.password.hash`): bcrypt, salted or plain SHA-1/256/512
 *   and MD5, PBKDF2 with HMAC-SHA-256/512 and at least 4,096 iterations;
 * - `hook`: what Okta cannot take — PBKDF2 with HMAC-SHA-1 or fewer iterations, scrypt — stays in hookpilot's
 *   legacy-hash table for the password import hook;
 * - `unsupported`: argon2 and anything else (said per row; nothing is written for it).
 *
 * Columns (CSV header row, or keys of each JSONL object): `login` (required), `email`, `firstName`, `lastName`,
 * `algorithm` (bcrypt|md5|sha1|sha256|sha512|pbkdf2|scrypt), `hash` (base64, or for bcrypt the whole `$2b$…` string),
 * `salt` (base64), `saltOrder` (PREFIX|POSTFIX), `iterations`, `digest` (sha1|sha256|sha512), `N`, `r`, `p`.
 * A row never carries a plaintext password.
 */
export interface ExportProfile {
  readonly login: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
}

/** Okta's `PasswordCredentialHash`. */
export interface OktaPasswordHash {
  readonly algorithm: 'BCRYPT' | 'MD5' | 'PBKDF2' | 'SHA-1' | 'SHA-256' | 'SHA-512';
  readonly value: string;
  readonly salt?: string;
  readonly saltOrder?: 'PREFIX' | 'POSTFIX';
  readonly workFactor?: number;
  readonly iterationCount?: number;
  readonly keySize?: number;
  readonly digestAlgorithm?: 'SHA256_HMAC' | 'SHA512_HMAC';
}

export type Placement =
  | { readonly target: 'okta'; readonly profile: ExportProfile; readonly hash: OktaPasswordHash }
  | { readonly target: 'hook'; readonly profile: ExportProfile; readonly hash: LegacyHash }
  | { readonly target: 'unsupported'; readonly profile: ExportProfile; readonly reason: string };

export class ExportRowError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Rows of a CSV (first line: header; RFC 4180 quoting) or JSONL text, as string maps with their line numbers. */
export function readExport(text: string, format: 'csv' | 'jsonl'): { line: number; row: Record<string, string> }[] {
  const out: { line: number; row: Record<string, string> }[] = [];
  if (format === 'jsonl') {
    text.split(/\r?\n/).forEach((raw, i) => {
      if (!raw.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new ExportRowError(i + 1, 'is not JSON');
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ExportRowError(i + 1, 'is not a JSON object');
      }
      const row: Record<string, string> = {};
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) row[k] = String(v);
      out.push({ line: i + 1, row });
    });
    return out;
  }
  const records = parseCsv(text);
  const header = records.shift();
  if (!header) return out;
  records.forEach(({ line, fields }) => {
    if (fields.length === 1 && fields[0] === '') return;
    if (fields.length !== header.fields.length) {
      throw new ExportRowError(line, `has ${fields.length} fields, the header ${header.fields.length}`);
    }
    out.push({ line, row: Object.fromEntries(header.fields.map((h, j) => [h.trim(), fields[j] ?? ''])) });
  });
  return out;
}

function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ line: start, fields });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += c;
  }
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  return records;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BCRYPT = /^\$2[abxy]?\$(\d{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

/** Where one row's hash goes. Throws `ExportRowError` naming the column for a malformed row (never the hash value). */
export function placeRow(line: number, row: Record<string, string>): Placement {
  const login = row.login?.trim();
  if (!login || !/^[^\s@]+@[^\s@]+$/.test(login))
    throw new ExportRowError(line, 'login: must be an email-shaped login');
  const local = login.split('@')[0] ?? login;
  const profile: ExportProfile = {
    login: normaliseLogin(login),
    email: row.email?.trim() || login,
    firstName: row.firstName?.trim() || local,
    lastName: row.lastName?.trim() || local,
  };
  const algorithm = row.algorithm?.trim().toLowerCase().replace(/[-_]/g, '') ?? '';
  const hash = row.hash?.trim() ?? '';
  if (!hash) throw new ExportRowError(line, 'hash: missing');
  const salt = row.salt?.trim() || undefined;
  if (salt !== undefined && !B64.test(salt)) throw new ExportRowError(line, 'salt: must be base64');
  const int = (name: string): number => {
    const value = Number(row[name]);
    if (!Number.isInteger(value) || value < 1)
      throw new ExportRowError(line, `${name}: must be a positive whole number`);
    return value;
  };

  if (algorithm === 'bcrypt') {
    const m = BCRYPT.exec(hash);
    if (!m)
      throw new ExportRowError(
        line,
        'hash: not a bcrypt string ($2a$/$2b$/$2y$ with cost, 22-char salt, 31-char hash)',
      );
    return {
      target: 'okta',
      profile,
      hash: { algorithm: 'BCRYPT', workFactor: Number(m[1]), salt: m[2] as string, value: m[3] as string },
    };
  }
  if (!B64.test(hash)) throw new ExportRowError(line, 'hash: must be base64');
  const plain = { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' } as const;
  if (algorithm in plain) {
    const saltOrder = (row.saltOrder?.trim().toUpperCase() || 'PREFIX') as 'PREFIX' | 'POSTFIX';
    if (saltOrder !== 'PREFIX' && saltOrder !== 'POSTFIX')
      throw new ExportRowError(line, 'saltOrder: PREFIX or POSTFIX');
    return {
      target: 'okta',
      profile,
      hash: {
        algorithm: plain[algorithm as keyof typeof plain],
        value: hash,
        ...(salt ? { salt, saltOrder } : {}),
      },
    };
  }
  if (algorithm === 'pbkdf2') {
    const iterations = int('iterations');
    const digest = (row.digest?.trim().toLowerCase().replace(/[-_]/g, '') || 'sha256') as 'sha1' | 'sha256' | 'sha512';
    if (!['sha1', 'sha256', 'sha512'].includes(digest))
      throw new ExportRowError(line, 'digest: sha1, sha256 or sha512');
    if (!salt) throw new ExportRowError(line, 'salt: PBKDF2 needs its salt');
    if (iterations >= 4096 && digest !== 'sha1') {
      return {
        target: 'okta',
        profile,
        hash: {
          algorithm: 'PBKDF2',
          value: hash,
          salt,
          saltOrder: 'PREFIX',
          iterationCount: iterations,
          keySize: Buffer.from(hash, 'base64').length,
          digestAlgorithm: digest === 'sha256' ? 'SHA256_HMAC' : 'SHA512_HMAC',
        },
      };
    }
    return hookPlacement(line, profile, { algorithm: 'pbkdf2', digest, iterations, salt, hash });
  }
  if (algorithm === 'scrypt') {
    if (!salt) throw new ExportRowError(line, 'salt: scrypt needs its salt');
    return hookPlacement(line, profile, { algorithm: 'scrypt', N: int('N'), r: int('r'), p: int('p'), salt, hash });
  }
  if (algorithm.startsWith('argon2')) {
    return {
      target: 'unsupported',
      profile,
      reason: 'argon2 is not supported (no small maintained package for Node 20 without native code)',
    };
  }
  throw new ExportRowError(
    line,
    `algorithm: "${row.algorithm ?? ''}" is not one of bcrypt, md5, sha1, sha256, sha512, pbkdf2, scrypt`,
  );
}

function hookPlacement(line: number, profile: ExportProfile, hash: unknown): Placement {
  const parsed = LegacyHashSchema.safeParse(hash);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ExportRowError(line, where);
  }
  return { target: 'hook', profile, hash: parsed.data };
}
