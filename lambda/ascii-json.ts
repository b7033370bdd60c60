/**
 * JSON that any transport accepts: every character outside printable ASCII (controls, everything from U+007F up,
 * including U+FFFE/U+FFFF, emoji and lone surrogates) is written as a `\uXXXX` escape. It is lossless — `JSON.parse`
 * gives back exactly the value that went in — and the text is plain ASCII, so SQS (which rejects U+FFFE, U+FFFF and,
 * in the local emulator, characters outside the BMP) and every other store take it as it is. Byte length = length.
 */
const NON_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

const unicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(NON_PRINTABLE_ASCII, unicodeEscape);
}

/**
 * A string as printable ASCII: the inside of its `asciiJson` form (quotes, backslashes and every non-ASCII character
 * escaped). An ASCII identifier comes out unchanged; anything else stays readable and unambiguous.
 */
export function asciiText(value: string): string {
  return asciiJson(value).slice(1, -1);
}
