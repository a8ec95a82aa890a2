import { serveCommand } from './cli/serve-command';

// `node dist/apps/asr-api/src/main.js` and `npm start`: the same server as `asr-api serve`.
void serveCommand({});
