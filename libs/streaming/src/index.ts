export { CLOSE, type CloseReason, type ServerEvent } from './protocol';
export { STREAM_PATH } from './native-protocol';
export { StreamingModule } from './streaming.module';
export { StreamingService } from './streaming.service';
export { StreamWsAdapter } from './stream-ws-adapter';
export { slotCaller, STREAM_SLOT_TOPICS, StreamSlotBroker } from './stream-slots';
export { stableUuid } from './deepgram/stable-uuid';
