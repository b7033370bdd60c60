import { fc } from '@fast-check/vitest';
import { ACTION_TYPES } from '../../lambda/domain/catalog.ts';
import { MODES, type Mode } from '../../lambda/domain/policy-config.ts';

/**
 * fast-check arbitraries shared by the property tests. A test that needs something only it uses keeps it locally; what
 * two tests draw the same way lives here, so a change to (say) how confidences are drawn reaches every property.
 */

/** An Okta id: the type prefix (`00u`, `00g`, `0oa`) and 17 alphanumerics, as Okta issues them. */
export const oktaId = (prefix: string) => fc.stringMatching(/^[A-Za-z0-9]{17}$/).map((rest) => `${prefix}${rest}`);

/** A number in [0, 1]. fc.double spreads over representable doubles (mostly tiny ones): hundredths give realistic values. */
export const unitInterval = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }).map((n) => n / 100) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
);

/** The mode a decision runs in; autonomous twice as often, since it is where automatic decisions happen. */
export const runMode = fc.constantFrom<Mode>('observe', 'assisted', 'autonomous', 'autonomous');

/** An `autoApprove.low|medium` threshold: off (`null`) or a minimum confidence. */
export const autoApproveThreshold = fc.option(fc.record({ minConfidence: unitInterval }), { nil: null });

/**
 * The policy fields every property test varies (spread into an `fc.record` with the fields a test adds, then parse the
 * result with `PolicyConfigSchema`): mode, auto-approval thresholds, the drop threshold and per-action overrides.
 */
export const policyCore = ({ maxActionOverrides }: { maxActionOverrides: number }) => ({
  mode: fc.constantFrom(...MODES),
  autoApprove: fc.record({ low: autoApproveThreshold, medium: autoApproveThreshold }),
  dropBelowConfidence: unitInterval,
  actions: fc.dictionary(
    fc.constantFrom(...ACTION_TYPES),
    fc.record(
      { mode: fc.constantFrom(...MODES), minConfidence: unitInterval, disabled: fc.boolean() },
      { requiredKeys: [] },
    ),
    { maxKeys: maxActionOverrides },
  ),
});
