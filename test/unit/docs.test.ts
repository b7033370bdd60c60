import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC, renderDoc } from '../../scripts/catalog-doc.ts';

describe('docs/actions.md', () => {
  it('shows the action catalog as the code defines it (run npm run docs:catalog after changing it)', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(renderDoc(doc)).toBe(doc);
  });
});
