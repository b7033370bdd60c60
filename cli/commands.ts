/**
 * Every command group of `npx hookpilot`, one line each. A group is a file in `cli/` exporting a function that adds its
 * command(s) to the program (`(program: Command) => void`); adding one is that file and its line here. Help lists them
 * in alphabetical order.
 */
export { act } from './act.ts';
export { approvals } from './approvals.ts';
export { audit } from './audit.ts';
export { calibrate } from './calibrate.ts';
export { deliver } from './deliver.ts';
export { evalCommand } from './eval.ts';
export { grants } from './grants.ts';
export { inline } from './inline.ts';
export { passwords } from './passwords.ts';
export { sim } from './sim.ts';
export { verify } from './verify.ts';
