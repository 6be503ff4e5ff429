// Jobs and CronJobs.

import { humanDuration, parseTime, since } from './duration.ts';
import {
  AGE, CONTAINERS, IMAGES, NAME, ageOf, boolPtr, col, containerCells, formatSelector, nameOf, num, str,
  wideSelector, type Printer,
} from './common.ts';

/** Upstream looks only at the first condition of a type. */
function condition(obj: any, type: string): boolean {
  const c = (obj?.status?.conditions ?? []).find((x: any) => x?.type === type);
  return c?.status === 'True';
}

function jobStatus(job: any): string {
  if (condition(job, 'Complete')) return 'Complete';
  if (condition(job, 'Failed')) return 'Failed';
  if (job?.metadata?.deletionTimestamp) return 'Terminating';
  if (condition(job, 'Suspended')) return 'Suspended';
  if (condition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completions(job: any): string {
  const succeeded = num(job?.status?.succeeded);
  if (typeof job?.spec?.completions === 'number') return `${succeeded}/${job.spec.completions}`;
  const parallelism = num(job?.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function duration(job: any, now: number): string {
  const start = parseTime(job?.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job?.status?.completionTime);
  return humanDuration((end ?? now) - start);
}

export const jobPrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'Overall state of the job.'),
    col('Completions', 'string', 'Succeeded pods out of the completions wanted.'),
    col('Duration', 'string', 'How long the job ran, or has been running.'),
    AGE, CONTAINERS, IMAGES, wideSelector('job'),
  ],
  row(job, now) {
    const [names, images] = containerCells(job?.spec?.template?.spec?.containers);
    return [nameOf(job), jobStatus(job), completions(job), duration(job, now), ageOf(job, now),
      names, images, formatSelector(job?.spec?.selector)];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    NAME,
    col('Schedule', 'string', 'Cron schedule of the job.'),
    col('Timezone', 'string', 'Time zone the schedule is read in.'),
    col('Suspend', 'boolean', 'Whether new runs are held back.'),
    col('Active', 'integer', 'Jobs currently running.'),
    col('Last Schedule', 'string', 'Time since a job was last scheduled.'),
    AGE, CONTAINERS, IMAGES, wideSelector('job template'),
  ],
  row(cj, now) {
    const last = cj?.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, now) : '<none>';
    const tz = typeof cj?.spec?.timeZone === 'string' ? cj.spec.timeZone : '<none>';
    const tpl = cj?.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(tpl?.template?.spec?.containers);
    return [nameOf(cj), str(cj?.spec?.schedule), tz, boolPtr(cj?.spec?.suspend), (cj?.status?.active ?? []).length,
      last, ageOf(cj, now), names, images, formatSelector(tpl?.selector)];
  },
};
