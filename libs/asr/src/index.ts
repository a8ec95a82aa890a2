export { checkProviderConnection, type ConnectionReport, type ConnectionVerdict } from './provider-connection';
export { remoteProviderSettings } from './remote-provider-settings';
