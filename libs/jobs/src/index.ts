export { DOWNLOAD_ERROR_CODES } from './download-watch';
export { FINAL_STATUSES, JOB_STATUSES, type Job, type JobStatus } from './job';
export { type JobView, jobView } from './job-view';
export { JobsModule } from './jobs.module';
export { JobsService } from './jobs.service';
export { TargetPolicy } from './target-policy';
export type { WebhookEvent } from './webhook-dispatcher';
