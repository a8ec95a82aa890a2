export { ClusterChannel, type WorkerPort } from './cluster-channel';
export { ClusterMetricsModule, ClusterModule } from './cluster.module';
export {
  IpcCalls,
  type IpcMessage,
  type IpcNotice,
  type IpcReply,
  type IpcRequest,
  replyTo,
  WORKER_READY,
} from './ipc-messages';
export { METRICS_TOPICS } from './metrics.controller';
