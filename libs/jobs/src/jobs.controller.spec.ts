import { readdirSync } from 'node:fs';
import multipart from '@fastify/multipart';
import { Logger, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Caller } from '@asr/auth';
import { TempFiles } from '@asr/audio';
import { AppConfig } from '@asr/config';
import { AllExceptionsFilter, ErrorResponder } from '@asr/observability';
import { jobResult } from '../../../test/support/job-builders';
import { finish, type ServiceHarness, serviceHarness, teamA, teamB } from '../../../test/support/jobs-service-harness';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

const BOUNDARY = 'asr-test-boundary';

/** A multipart body: the fields in order, then the file. */
function multipartBody(fields: Record<string, string>, file = Buffer.from('RIFF....WAVE')): Buffer {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return Buffer.concat([
    Buffer.from(parts.join('')),
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="talk.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

const multipartHeaders = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

/**
 * The controller behind Fastify with the app's validation pipe and error filter, the real service behind it. The
 * authentication hook is the app's; here the caller is whoever `x-test-tenant` names (team-a by default).
 */
describe('JobsController over HTTP', () => {
  let app: NestFastifyApplication;
  let h: ServiceHarness;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    h = serviceHarness();
    const moduleRef = await Test.createTestingModule({
      controllers: [JobsController],
      providers: [
        { provide: JobsService, useValue: h.service },
        { provide: TempFiles, useValue: new TempFiles(h.config) },
        { provide: AppConfig, useValue: h.config },
        ErrorResponder,
        AllExceptionsFilter,
        { provide: APP_FILTER, useExisting: AllExceptionsFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.register(multipart);
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', (request, _reply, done) => {
        const caller: Caller = request.headers['x-test-tenant'] === 'team-b' ? teamB : teamA;
        request.caller = caller;
        done();
      });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());

  /** POSTs a multipart upload with `fields` for `tenant`'s key. */
  const postUpload = (fields: Record<string, string> = {}, tenant = 'team-a') =>
    app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { ...multipartHeaders, 'x-test-tenant': tenant },
      payload: multipartBody(fields),
    });

  const submit = async (fields: Record<string, string> = {}): Promise<string> => {
    const response = await postUpload(fields);
    expect(response.statusCode).toBe(202);
    return response.json<{ id: string }>().id;
  };

  // First: `finish` takes the oldest queued job, so no other may wait yet.
  it('shows a job, its result in the format asked for, and its events; 404 for another key’s, 400 for a bad id', async () => {
    const id = await submit();
    await finish(h.store, id, { result: jobResult('hello world') });
    const job = await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}` });
    expect(job.json()).toMatchObject({ id, status: 'succeeded' });

    const srt = await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}/result?format=srt` });
    expect(srt.statusCode).toBe(200);
    expect(srt.headers['content-type']).toBe('application/x-subrip; charset=utf-8');
    expect(srt.body).toContain('hello world');
    const json = await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}/result` });
    expect(json.json()).toMatchObject({ job_id: id, text: 'hello world' });
    expect((await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}/result?format=doc` })).statusCode).toBe(400);

    const events = await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}/events` });
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(events.body).toMatch(/^event: succeeded\ndata: \{.*"status":"succeeded".*\}\n\n$/);

    const other = await app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${id}`,
      headers: { 'x-test-tenant': 'team-b' },
    });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ code: 'job_not_found' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/jobs/not-a-uuid' })).statusCode).toBe(400);
  });

  it('accepts a multipart upload with 202, a Location, and the links to follow', async () => {
    const response = await postUpload({ language: 'en', timestamps: 'word' });
    expect(response.statusCode).toBe(202);
    const body = response.json<{ id: string; status: string; links: { self: string } }>();
    expect(body).toMatchObject({ status: 'queued', links: { self: `/api/v1/jobs/${body.id}` } });
    expect(response.headers.location).toBe(body.links.self);
    expect(await h.store.get(body.id)).toMatchObject({ tenant: 'team-a', source: { filename: 'talk.wav', bytes: 12 } });
    // The spooled upload is gone from the temp directory: the job's directory holds it now.
    expect(readdirSync(h.config.storage.tempPath)).toEqual([]);
  });

  it.each([
    ['an unknown field', { colour: 'blue' }, 'validation_failed'],
    ['a field out of range', { timestamps: 'sometimes' }, 'validation_failed'],
  ])('refuses a multipart upload with %s, keeping nothing', async (_, fields, code) => {
    const before = (await h.store.list(0, 100)).total;
    const response = await postUpload(fields);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ status: 400, code });
    expect((await h.store.list(0, 100)).total).toBe(before);
    expect(readdirSync(h.config.storage.tempPath)).toEqual([]);
  });

  it('accepts JSON with a url, and refuses a body that is neither JSON nor multipart with 415', async () => {
    const json = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      payload: { url: 'https://audio.example.test/talk.mp3', keep_audio: true },
    });
    expect(json.statusCode).toBe(202);
    expect(await h.store.get(json.json<{ id: string }>().id)).toMatchObject({
      source: { url: 'https://audio.example.test/talk.mp3' },
      options: { keepAudio: true },
    });
    const text = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { 'content-type': 'text/plain' },
      payload: 'https://audio.example.test/talk.mp3',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ code: 'unsupported_media_type' });
  });

  it("lists the caller's jobs by page, and validates the query", async () => {
    const mine = [await submit(), await submit()];
    const theirs = await postUpload({}, 'team-b');
    // Two jobs made in one millisecond may list either way round: compare the newest page as a set.
    const newest = await app.inject({ method: 'GET', url: '/api/v1/jobs?limit=2&status=queued' });
    expect(newest.statusCode).toBe(200);
    const body = newest.json<{ jobs: { id: string }[]; total: number; offset: number; limit: number }>();
    expect(body).toMatchObject({ offset: 0, limit: 2 });
    expect(body.jobs.map((j) => j.id).sort()).toEqual([...mine].sort());
    const next = await app.inject({ method: 'GET', url: '/api/v1/jobs?limit=1&offset=2&status=queued' });
    expect(next.json()).toMatchObject({ offset: 2, limit: 1, total: body.total });
    expect(mine).not.toContain(next.json<{ jobs: { id: string }[] }>().jobs[0]!.id);
    const all = await app.inject({ method: 'GET', url: '/api/v1/jobs' });
    expect(all.json()).toMatchObject({ offset: 0, limit: 20 });
    expect(all.json<{ jobs: { id: string }[] }>().jobs.map((j) => j.id)).not.toContain(
      theirs.json<{ id: string }>().id,
    );
    const bad = await app.inject({ method: 'GET', url: '/api/v1/jobs?status=lost&limit=500' });
    expect(bad.statusCode).toBe(400);
  });

  it('cancels a queued job with DELETE, and answers 409 once it is finished', async () => {
    const id = await submit();
    const cancelled = await app.inject({ method: 'DELETE', url: `/api/v1/jobs/${id}` });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id, status: 'cancelled' });
    expect(h.runner.aborted).toContain(id);
    const again = await app.inject({ method: 'DELETE', url: `/api/v1/jobs/${id}` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'job_finished' });
  });
});
