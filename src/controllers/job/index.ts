export {
  jobController, JobController, restJobApi, normalizeJobStatus, type JobApi, type JobControllerDeps, type JobControllerOptions,
} from './job.ts';
export * from './util.ts';
