/** Where the simulator listens by default, for `local/okta-sim/main.ts` and the local stack alike. */
export const DEFAULT_SIM_PORT = 8790;
/** A fixed, clearly local token, so scripts and Terraform configs can be written once. Override it with --token. */
export const DEFAULT_SIM_TOKEN = '00LocalOktaSimulatorTokenNotASecret000000';
