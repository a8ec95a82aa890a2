export { AudioModule } from './audio.module';
export { TempFiles } from './temp-files';
