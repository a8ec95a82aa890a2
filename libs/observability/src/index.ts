export {
  ContributesHealth,
  HEALTH_CONTRIBUTOR,
  type ComponentHealth,
  type ComponentStatus,
  type HealthContributor,
} from './health-contributor';
export { HTTP_REQUEST_DURATION, HttpMetrics, UNMATCHED_ROUTE } from './http-metrics';
export {
  type BoundedJsonResult,
  checkJsonBounds,
  CLIENT_JSON_MAX_DEPTH,
  describeClientValue,
  type JsonBounds,
  type JsonRefusal,
  parseBoundedJson,
} from './bounded-json';
export { redactUrl } from './log-redaction';
export { createRootLogger, LOG_FILE_NAME, loggerParams, logDestination } from './logger-options';
export { ObservabilityModule } from './observability.module';
export { REQUEST_ID_HEADER, requestIdFor } from './request-id';
export { ShutdownState } from './shutdown-state';
export { AllExceptionsFilter } from './all-exceptions.filter';
export { ApiError, type ApiErrorBody, codeForStatus, type DeepgramErrorBody, type OpenAiErrorBody } from './api-error';
export { ErrorResponder } from './error-responder';
export {
  type CodedFailure,
  type DomainErrorCode,
  ERROR_TABLE,
  type ErrorMapping,
  httpAnswerOf,
  jobFailureOf,
  streamFinalErrorOf,
} from './error-table';
export { LOG_DESTINATION } from './log-destination';
