export {
  cronJobController, CronJobController, restCronJobApi, jobFromTemplate, jobNameFor, mostRecentScheduleTime, nextScheduleDelay,
  SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobApi, type CronJobControllerDeps, type CronJobControllerOptions,
} from './cronjob.ts';
export { parseSchedule, formatSchedule, type Schedule } from './cron.ts';
