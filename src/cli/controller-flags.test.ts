import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerOptionsFrom } from './controller-flags.ts';

test('controller flags become ControllerOptions; bad values are refused', () => {
  assert.deepEqual(controllerOptionsFrom({}), {});
  assert.deepEqual(controllerOptionsFrom({
    clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: '24', nodeMonitorPeriod: '500ms', nodeMonitorGracePeriod: '40s', nodeEvictionRate: '0.1',
  }), { clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: 24, nodeMonitorPeriodMs: 500, nodeMonitorGracePeriodMs: 40_000, nodeEvictionRate: 0.1 });
  assert.throws(() => controllerOptionsFrom({ nodeCidrMaskSize: 'x' }), /--node-cidr-mask-size/);
  assert.throws(() => controllerOptionsFrom({ nodeMonitorGracePeriod: '0s' }), /must be positive/);
  assert.throws(() => controllerOptionsFrom({ nodeMonitorGracePeriod: 'soon' }), /invalid duration/);
  assert.throws(() => controllerOptionsFrom({ nodeEvictionRate: '-1' }), /--node-eviction-rate/);
});
