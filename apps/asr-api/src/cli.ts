#!/usr/bin/env -S node --initial-heap-size=256
import { Command } from 'commander';
import { PACKAGE_VERSION } from './package-info';

/** `asr-api`: every command loads only what it needs, so init and config check stay fast and never boot the app. */
function buildProgram(): Command {
  const program = new Command('asr-api')
    .description('Self-hosted speech-recognition API: set it up, check its configuration, run it.')
    .version(PACKAGE_VERSION, '-v, --version');

  program
    .command('init')
    .description('write .env from .env.example (if absent), create storage directories, report missing system packages')
    .action(async () => {
      const { initCommand } = await import('./cli/init-command.js');
      process.exitCode = initCommand();
    });

  program
    .command('serve')
    .description('start the HTTP and WebSocket server (also what `npm start` runs)')
    .option('--host <host>', 'address to bind (API_HOST)')
    .option('--port <port>', 'port to listen on (API_PORT)')
    .option('--reload', 'restart when the built files change (API_RELOAD=true)')
    .option('-w, --workers <count>', 'worker processes sharing the port (API_WORKERS)')
    .action(async (options: { host?: string; port?: string; reload?: boolean; workers?: string }) => {
      const { serveCommand } = await import('./cli/serve-command.js');
      await serveCommand(options);
    });

  program
    .command('transcribe <file>')
    .description('transcribe an audio file with the configured engine, in this process, and print the result')
    .option('-f, --format <format>', 'json, text, srt, vtt or verbose_json', 'text')
    .option('-l, --language <code>', 'language of the speech (ISO-639-1)')
    .action(async (file: string, options: { format: string; language?: string }) => {
      const { transcribeCommand } = await import('./cli/transcribe-command.js');
      process.exitCode = await transcribeCommand(file, options as Parameters<typeof transcribeCommand>[1]);
    });

  program
    .command('stream <file>')
    .description(
      "play a recording to a running server's streaming API as a microphone would, and print its transcripts",
    )
    .option('-u, --url <url>', 'the server, e.g. ws://host:8000 (default: API_HOST and API_PORT)')
    .option('-s, --speed <times>', 'how many times faster than real time to send the audio', '1')
    .option('-l, --language <code>', 'language of the speech (ISO-639-1)')
    .option('--no-partials', 'ask for finals only')
    .option('--json', 'print every server message as a JSON line')
    .action(async (file: string, options: Parameters<typeof import('./cli/stream-command.js').streamCommand>[1]) => {
      const { streamCommand } = await import('./cli/stream-command.js');
      process.exitCode = await streamCommand(file, options);
    });

  const jobs = program.command('jobs').description("a running server's transcription jobs");
  const jobOptions = (command: Command): Command =>
    command
      .option('-u, --url <url>', 'the server, e.g. http://host:8000 (default: API_HOST and API_PORT)')
      .option('--json', "print the server's JSON answer");
  jobOptions(
    jobs
      .command('list')
      .description('recent jobs, newest first')
      .option('-n, --limit <count>', 'how many', '20')
      .option('-s, --status <status>', 'only queued, running, succeeded, failed or cancelled jobs'),
  ).action(async (options: Parameters<typeof import('./cli/jobs-command.js').jobsListCommand>[0]) => {
    const { jobsListCommand } = await import('./cli/jobs-command.js');
    process.exitCode = await jobsListCommand(options);
  });
  jobOptions(jobs.command('show <id>').description("a job's status, progress, error and webhook")).action(
    async (id: string, options: { url?: string; json?: boolean }) => {
      const { jobsShowCommand } = await import('./cli/jobs-command.js');
      process.exitCode = await jobsShowCommand(id, options);
    },
  );
  jobOptions(jobs.command('cancel <id>').description('cancel a queued or running job')).action(
    async (id: string, options: { url?: string; json?: boolean }) => {
      const { jobsCancelCommand } = await import('./cli/jobs-command.js');
      process.exitCode = await jobsCancelCommand(id, options);
    },
  );

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate and print the effective configuration (secrets masked); exit 0 ok, 1 warnings, 2 invalid')
    .option('--connect', 'also make one cheap authenticated call to the selected remote provider')
    .action(async (options: { connect?: boolean }) => {
      const { configCheckCommand } = await import('./cli/config-command.js');
      process.exitCode = await configCheckCommand(options);
    });

  config
    .command('docs')
    .description('regenerate .env.example and the README configuration table from the schema')
    .action(async () => {
      const { configDocsCommand } = await import('./cli/config-docs-command.js');
      process.exitCode = configDocsCommand();
    });

  program
    .command('openapi')
    .description('print the OpenAPI document, or write/check the committed copy')
    .option('--write <file>', 'write the sorted document to a file')
    .option('--check <file>', 'exit 1 if the file differs from the current document')
    .action(async (options: { write?: string; check?: string }) => {
      const { openApiCommand } = await import('./cli/openapi-command.js');
      process.exitCode = await openApiCommand(options);
    });
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
