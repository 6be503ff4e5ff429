import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../base/errors.ts';
import { admitPodPriority, type PriorityClassSource } from './priority.ts';

const classes = [
  { metadata: { name: 'high' }, value: 1000 },
  { metadata: { name: 'never' }, value: 500, preemptionPolicy: 'Never' },
  { metadata: { name: 'default-low' }, value: 10, globalDefault: true },
];
const src = (list: object[]): PriorityClassSource => ({
  get: async (name) => list.find((c: any) => c.metadata.name === name) as never,
  list: async () => list as never,
});

const cases: { name: string; spec: Record<string, unknown>; stated?: number; list?: object[]; want?: Record<string, unknown>; error?: RegExp }[] = [
  { name: 'named class', spec: { priorityClassName: 'high' }, want: { priority: 1000, preemptionPolicy: 'PreemptLowerPriority' } },
  { name: 'class preemption policy', spec: { priorityClassName: 'never' }, want: { priority: 500, preemptionPolicy: 'Never' } },
  { name: 'global default applies when none is named', spec: {}, want: { priority: 10, priorityClassName: 'default-low' } },
  { name: 'no default class: 0', spec: {}, list: [classes[0]], want: { priority: 0, preemptionPolicy: 'PreemptLowerPriority' } },
  { name: 'unknown class', spec: { priorityClassName: 'nope' }, error: /pods "p" is forbidden: no PriorityClass with name nope was found/ },
  { name: 'stated priority disagreeing with the class', spec: { priorityClassName: 'high', priority: 5 }, stated: 5, error: /the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000/ },
  { name: 'stated priority agreeing with the class', spec: { priorityClassName: 'high', priority: 1000 }, stated: 1000, want: { priority: 1000 } },
];

for (const c of cases) {
  test(`Priority admission: ${c.name}`, async () => {
    const pod = { metadata: { name: 'p' }, spec: { ...c.spec } };
    const p = admitPodPriority(pod, c.stated, src(c.list ?? classes));
    if (c.error) {
      await assert.rejects(p, (e: unknown) => e instanceof ApiError && e.code === 403 && c.error!.test(e.message));
      return;
    }
    await p;
    for (const [k, v] of Object.entries(c.want ?? {})) assert.equal((pod.spec as Record<string, unknown>)[k], v, k);
  });
}
