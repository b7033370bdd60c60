import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.ts';
import { pathBeyondDepth } from '../json-depth.ts';
import type { HttpRequest } from '../ports.ts';
import { jsonErrorLocation } from './json-error.ts';
import { formatPath } from './zod-issues.ts';

/**
 * The checks every Okta hook body goes through before its schema, in this order: `Content-Type: application/json`
 * (415), at most `maxBodyBytes` (413), not empty (400 `empty_body`), valid JSON (400 `invalid_json`, with the line and
 * column, never the text) and nested at most `maxDepth` levels (400 `too_deep`, naming where). Error messages never
 * quote the body: it is the sender's text and may hold an OTP or a password.
 */
export function readJsonBody(
  request: HttpRequest,
  options: { readonly maxBodyBytes: number; readonly maxDepth: number; readonly expected: string },
): unknown {
  const contentType = request.headers['content-type'];
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be application/json (got ${contentType ? JSON.stringify(contentType.slice(0, 100)) : 'none'})`,
    );
  }
  const body = request.body ?? '';
  const size = Buffer.byteLength(body, 'utf8');
  if (size > options.maxBodyBytes) {
    throw new PayloadTooLargeError(`the body is ${size} bytes; the limit is ${options.maxBodyBytes}`);
  }
  if (size === 0) throw new BadRequestError(`the body is empty; expected ${options.expected}`, 'empty_body');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BadRequestError(`the body is not valid JSON (at ${jsonErrorLocation(body, error)})`, 'invalid_json');
  }
  const deep = pathBeyondDepth(json, options.maxDepth);
  if (deep) {
    // Keys are the sender's text: cut long ones, so the answer says where without repeating what the body holds.
    const where = deep.slice(0, 8).map((k) => (typeof k === 'string' && k.length > 32 ? `${k.slice(0, 32)}…` : k));
    const path = `${formatPath(where)}${deep.length > 8 ? '…' : ''}`;
    const message = `nests objects and arrays deeper than ${options.maxDepth} levels`;
    throw new BadRequestError(`the body ${message} (at ${path})`, 'too_deep', [{ path, message }]);
  }
  return json;
}
