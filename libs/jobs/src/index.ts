export { DOWNLOAD_ERROR_CODES } from './download-watch';
export { LISTEN_AUDIO_TYPE, LISTEN_ROUTE } from './deepgram/listen.controller';
export type { ListenAccepted, ListenErrorBody, ListenResponse } from './deepgram/listen-response';
export { FINAL_STATUSES, JOB_STATUSES, type Job, type JobStatus } from './job';
export { type JobView, jobView } from './job-view';
export { JobsModule } from './jobs.module';
export { JobsService } from './jobs.service';
export { TargetPolicy } from './target-policy';
export type { WebhookEvent } from './webhook-dispatcher';
