import { Readable } from 'node:stream';
import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Caller, callerOf, RequestCaller } from '@asr/auth';
import { TempFiles } from '@asr/audio';
import { ApiError } from '@asr/observability';
import { readUpload, validateFields } from '@asr/transcription';
import { FINAL_STATUSES } from './job';
import { type JobView, jobView } from './job-view';
import {
  JobAcceptedDto,
  JobDto,
  JobListDto,
  JobListQuery,
  JobResultDto,
  JobResultQuery,
  JobUploadFields,
  JobUrlRequest,
} from './jobs.dto';
import { JobsService } from './jobs.service';

/** How often the events stream looks at the job. */
const EVENTS_POLL_MS = 500;

function accepted(view: JobView): { id: string; status: string; links: JobView['links'] } {
  return { id: view.id, status: view.status, links: view.links };
}

@ApiTags('jobs')
@ApiExtraModels(JobUploadFields, JobUrlRequest)
@Controller('api/v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly tempFiles: TempFiles,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit a recording as a job: a multipart upload, or JSON with a `url` (JOBS_ALLOW_URLS=true).',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({
    schema: { oneOf: [{ $ref: getSchemaPath(JobUploadFields) }, { $ref: getSchemaPath(JobUrlRequest) }] },
  })
  @ApiAcceptedResponse({ type: JobAcceptedDto, description: 'Queued; follow `links`. Location names the job.' })
  @ApiBadRequestResponse({ description: 'Invalid fields, or a webhook or URL the server may not call.' })
  @ApiServiceUnavailableResponse({ description: 'JOBS_MAX_QUEUED jobs are waiting (see Retry-After).' })
  async submit(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobAcceptedDto> {
    let view: JobView;
    if (request.isMultipart()) {
      const upload = await readUpload(request, this.tempFiles);
      try {
        view = await this.jobs.submitUpload(
          callerOf(request),
          upload,
          validateFields(JobUploadFields, upload.fields, true),
        );
      } finally {
        await upload.remove();
      }
    } else {
      if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'send multipart/form-data with the audio in "file", or JSON with a "url"',
        );
      }
      const body = (request.body ?? {}) as Record<string, string>;
      const fields = validateFields(JobUrlRequest, body, true);
      view = await this.jobs.submitUrl(callerOf(request), fields.url, fields);
    }
    void reply.header('location', view.links.self);
    return accepted(view);
  }

  @Get()
  @ApiOperation({ summary: "This key's recent jobs, newest first (every key's for API_ADMIN_KEYS)." })
  @ApiOkResponse({ type: JobListDto })
  async list(@RequestCaller() caller: Caller, @Query() query: JobListQuery): Promise<JobListDto> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const page = await this.jobs.list(caller, offset, limit, query.status);
    return { ...page, offset, limit };
  }

  @Get(':id')
  @ApiOperation({ summary: "A job's status, progress, error and webhook attempts." })
  @ApiOkResponse({ type: JobDto })
  @ApiNotFoundResponse({ description: "No such job (or it expired, or it is another key's)." })
  async get(@RequestCaller() caller: Caller, @Param('id', ParseUUIDPipe) id: string): Promise<JobDto> {
    return jobView(await this.jobs.get(caller, id));
  }

  @Get(':id/result')
  @ApiOperation({ summary: "A succeeded job's transcript as json, text, srt, vtt or verbose_json." })
  @ApiProduces('application/json', 'text/plain', 'application/x-subrip', 'text/vtt')
  @ApiOkResponse({ type: JobResultDto, description: 'With format=json; other formats as their files.' })
  @ApiNotFoundResponse({ description: "No such job, or another key's." })
  @ApiConflictResponse({ description: 'The job has not succeeded (yet, or at all).' })
  async result(
    @RequestCaller() caller: Caller,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: JobResultQuery,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { body, contentType } = await this.jobs.result(caller, id, query.format ?? 'json');
    await reply.status(200).type(contentType).send(body);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel a queued or running job; a running one stops its provider call at once.' })
  @ApiOkResponse({ type: JobDto })
  @ApiNotFoundResponse({ description: "No such job, or another key's." })
  @ApiConflictResponse({ description: 'The job already finished.' })
  cancel(@RequestCaller() caller: Caller, @Param('id', ParseUUIDPipe) id: string): Promise<JobDto> {
    return this.jobs.cancel(caller, id);
  }

  @Get(':id/events')
  @ApiOperation({
    summary:
      'Server-sent events: `progress` with the job whenever it changes, then one of `succeeded`, `failed`, `cancelled`.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream; each event carries the job as JSON.' })
  @ApiNotFoundResponse({ description: "No such job, or another key's." })
  async events(
    @RequestCaller() caller: Caller,
    @Param('id', ParseUUIDPipe) id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.jobs.get(caller, id);
    const stream = new Readable({ read: () => undefined });
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const stop = (): void => {
      clearTimeout(timer);
      stream.push(null);
    };
    const look = async (): Promise<void> => {
      try {
        const job = await this.jobs.get(caller, id);
        const data = JSON.stringify(jobView(job));
        const final = FINAL_STATUSES.has(job.status);
        if (data !== last || final) stream.push(`event: ${final ? job.status : 'progress'}\ndata: ${data}\n\n`);
        last = data;
        if (final) return stop();
      } catch {
        return stop();
      }
      if (!closed) timer = setTimeout(() => void look(), EVENTS_POLL_MS);
    };
    reply.raw.on('close', () => {
      closed = true;
      clearTimeout(timer);
    });
    void look();
    await reply
      .status(200)
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      })
      .send(stream);
  }
}
