#!/usr/bin/env node
// `npx hookpilot …`: runs the TypeScript CLI through tsx (installed with the project's dev dependencies).
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
