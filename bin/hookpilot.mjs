#!/usr/bin/env node
// `npx hookpilot …`: runs the TypeScript CLI (cli/) through tsx (installed with the project's dev dependencies).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
