// The TTL-after-finished controller on a fake clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer } from '../../client/index.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { TTLAfterFinishedController } from './controller.ts';

const T0 = Date.UTC(2024, 0, 1);

function fixture() {
  const clock = new FakeClock(T0);
  const jobs = new Indexer<Job>();
  const deletes: { name: string; uid: string }[] = [];
  const after: { key: string; ms: number }[] = [];
  const added: string[] = [];
  let server: Job | undefined; // what a fresh read returns (default: the cached Job)
  const c = new TTLAfterFinishedController({
    jobs, clock, logger: pino({ level: 'silent' }),
    queue: { add: (k) => added.push(k), addAfter: (key, ms) => after.push({ key, ms }) },
    api: {
      getJob: async (ns, name) => {
        const j = server ?? jobs.get(ns, name);
        if (!j) throw ApiError.notFound('jobs.batch', name, 'batch');
        return structuredClone(j);
      },
      deleteJob: async (_ns, name, uid) => { deletes.push({ name, uid }); },
    },
  });
  const job = (ttl: number | undefined, finishedAt?: number, type = 'Complete'): Job => {
    const j: Job = {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name: 'pi', namespace: 'default', uid: 'u1', resourceVersion: '1' },
      spec: { template: {}, ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }) },
      status: finishedAt === undefined ? {} : { conditions: [{ type, status: 'True', lastProbeTime: rfc3339(finishedAt), lastTransitionTime: rfc3339(finishedAt) }] },
    };
    jobs.set(j);
    return j;
  };
  return { clock, jobs, deletes, after, added, c, job, setServer: (j: Job) => { server = j; } };
}

test('a finished Job is deleted (foreground, uid precondition) once its TTL has passed', async () => {
  const f = fixture();
  const j = f.job(100, T0);
  f.c.jobHandler().add!(j);
  assert.deepEqual(f.added, ['default/pi']);
  await f.c.sync('default/pi');
  assert.deepEqual(f.deletes, []);
  assert.deepEqual(f.after, [{ key: 'default/pi', ms: 100_000 }]);
  await f.clock.advance(100_000);
  await f.c.sync('default/pi');
  assert.deepEqual(f.deletes, [{ name: 'pi', uid: 'u1' }]);
});

test('ttlSecondsAfterFinished 0: deleted at once; Failed Jobs too', async () => {
  const f = fixture();
  f.job(0, T0, 'Failed');
  await f.c.sync('default/pi');
  assert.deepEqual(f.deletes, [{ name: 'pi', uid: 'u1' }]);
});

test('running Jobs, Jobs without a TTL, and Jobs being deleted are left alone', async () => {
  const f = fixture();
  const running = f.job(0);
  f.c.jobHandler().add!(running);
  await f.c.sync('default/pi');
  f.job(undefined, T0);
  await f.c.sync('default/pi');
  const deleting = f.job(0, T0);
  f.jobs.set({ ...deleting, metadata: { ...deleting.metadata, deletionTimestamp: rfc3339(T0) } });
  await f.c.sync('default/pi');
  assert.deepEqual(f.deletes, []);
  assert.deepEqual(f.added, []);
});

test('the fresh read decides: a TTL raised meanwhile defers the deletion', async () => {
  const f = fixture();
  const j = f.job(10, T0);
  f.setServer({ ...j, spec: { ...j.spec!, ttlSecondsAfterFinished: 3600 } });
  await f.clock.advance(20_000);
  await f.c.sync('default/pi');
  assert.deepEqual(f.deletes, []);
  assert.deepEqual(f.after.at(-1), { key: 'default/pi', ms: 3_580_000 });
});
