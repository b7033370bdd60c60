import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: manifest entries, the lock file and the policy file are relative to it. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
