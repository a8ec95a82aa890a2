import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { FinishedChunk, Job, JobError, JobResult, JobStatus, WebhookAttempt } from './job';
import { JOB_STATUSES } from './job';
import { type JobRow, toJob } from './job-row';
import { type JobPage, JobStore, type Lease, type NewJob } from './job-store';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  tenant TEXT,
  options TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  duration_s REAL,
  done_s REAL NOT NULL DEFAULT 0,
  runs INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  result TEXT,
  owner TEXT,
  lease_until INTEGER,
  webhook_url TEXT,
  webhook_state TEXT,
  webhook_attempts TEXT NOT NULL DEFAULT '[]',
  webhook_next_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs (tenant, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_webhook ON jobs (webhook_state, webhook_next_at);
CREATE TABLE IF NOT EXISTS job_chunks (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  chunk TEXT NOT NULL,
  PRIMARY KEY (job_id, idx)
);
`;

/** Columns added after the first release, for databases created before them (their rows get NULL). */
const ADDED_COLUMNS = [{ name: 'tenant', definition: 'tenant TEXT' }];

const JOB_COLUMNS = `id, status, tenant, options, source, created_at, started_at, finished_at, duration_s, done_s, runs, error,
  owner, webhook_url, webhook_state, webhook_attempts, webhook_next_at`;

/** Adds the columns a database made by an older release lacks (before SCHEMA creates indexes on them). */
function migrate(db: Database.Database): void {
  const existing = db.prepare(`SELECT name FROM pragma_table_info('jobs')`).all() as { name: string }[];
  if (existing.length === 0) return;
  const names = new Set(existing.map((c) => c.name));
  for (const column of ADDED_COLUMNS) {
    if (names.has(column.name)) continue;
    try {
      db.exec(`ALTER TABLE jobs ADD COLUMN ${column.definition}`);
    } catch (error) {
      // Another process of this machine (API_WORKERS) added it first.
      if (!/duplicate column/i.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }
}

/**
 * The embedded store: one SQLite file in WAL mode, shared by every process of one machine (API_WORKERS). Claims
 * and finishes are single UPDATE statements guarded by status and owner, inside immediate transactions.
 */
export class SqliteJobStore extends JobStore {
  readonly kind = 'sqlite';
  private opened: Database.Database | undefined;

  /** `file` is opened on first use: a storage problem then shows in readiness instead of stopping the server. */
  constructor(private readonly file: string) {
    super();
  }

  private get db(): Database.Database {
    if (!this.opened) {
      mkdirSync(dirname(this.file), { recursive: true });
      const db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      migrate(db);
      db.exec(SCHEMA);
      this.opened = db;
    }
    return this.opened;
  }

  create(job: NewJob, maxQueued: number): Promise<boolean> {
    const insert = this.db.transaction((): boolean => {
      const { queued } = this.db.prepare(`SELECT count(*) AS queued FROM jobs WHERE status = 'queued'`).get() as {
        queued: number;
      };
      if (queued >= maxQueued) return false;
      this.db
        .prepare(
          `INSERT INTO jobs (id, status, tenant, options, source, created_at, webhook_url, webhook_state)
           VALUES (?, 'queued', ?, ?, ?, ?, ?, NULL)`,
        )
        .run(
          job.id,
          job.tenant,
          JSON.stringify(job.options),
          JSON.stringify(job.source),
          Date.now(),
          job.webhookUrl ?? null,
        );
      return true;
    });
    return Promise.resolve(insert.immediate());
  }

  get(id: string): Promise<Job | undefined> {
    const row = this.db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    return Promise.resolve(row ? toJob(row) : undefined);
  }

  list(offset: number, limit: number, status?: JobStatus, tenant?: string): Promise<JobPage> {
    const conditions = [status ? 'status = @status' : '', tenant !== undefined ? 'tenant = @tenant' : ''];
    const where = conditions.some(Boolean) ? `WHERE ${conditions.filter(Boolean).join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT ${JOB_COLUMNS} FROM jobs ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`)
      .all({ status, tenant, limit, offset }) as JobRow[];
    const { total } = this.db.prepare(`SELECT count(*) AS total FROM jobs ${where}`).get({ status, tenant }) as {
      total: number;
    };
    return Promise.resolve({ jobs: rows.map(toJob), total });
  }

  tenantJobIds(tenant: string): Promise<string[]> {
    const rows = this.db.prepare(`SELECT id FROM jobs WHERE tenant = ?`).all(tenant) as { id: string }[];
    return Promise.resolve(rows.map((r) => r.id));
  }

  countByStatus(): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    const rows = this.db.prepare(`SELECT status, count(*) AS n FROM jobs GROUP BY status`).all() as {
      status: JobStatus;
      n: number;
    }[];
    for (const row of rows) counts[row.status] = row.n;
    return Promise.resolve(counts);
  }

  claim(lease: Lease, isDead: (owner: string) => boolean): Promise<Job | undefined> {
    const take = this.db.transaction((): JobRow | undefined => {
      const now = Date.now();
      const orphans = this.db
        .prepare(`SELECT id, owner, lease_until FROM jobs WHERE status = 'running' ORDER BY created_at`)
        .all() as { id: string; owner: string | null; lease_until: number | null }[];
      const orphan = orphans.find(
        (j) => j.owner !== lease.owner && ((j.lease_until ?? 0) < now || j.owner === null || isDead(j.owner)),
      );
      const candidate =
        orphan?.id ??
        (
          this.db.prepare(`SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1`).get() as
            { id: string } | undefined
        )?.id;
      if (!candidate) return undefined;
      return this.db
        .prepare(
          `UPDATE jobs SET status = 'running', owner = @owner, lease_until = @until, runs = runs + 1,
             started_at = coalesce(started_at, @now)
           WHERE id = @id RETURNING ${JOB_COLUMNS}`,
        )
        .get({ id: candidate, owner: lease.owner, until: now + lease.ttlMs, now }) as JobRow;
    });
    const row = take.immediate();
    return Promise.resolve(row ? toJob(row) : undefined);
  }

  renew(id: string, lease: Lease): Promise<JobStatus | undefined> {
    this.db
      .prepare(`UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND status = 'running'`)
      .run(Date.now() + lease.ttlMs, id, lease.owner);
    const row = this.db.prepare(`SELECT status FROM jobs WHERE id = ?`).get(id) as { status: JobStatus } | undefined;
    return Promise.resolve(row?.status);
  }

  forget(): Promise<void> {
    // The cancel already cleared the owner; nothing else holds the job.
    return Promise.resolve();
  }

  release(id: string, owner: string): Promise<void> {
    this.db
      .prepare(
        `UPDATE jobs SET status = 'queued', owner = NULL, lease_until = NULL WHERE id = ? AND owner = ? AND status = 'running'`,
      )
      .run(id, owner);
    return Promise.resolve();
  }

  setDuration(id: string, owner: string, durationS: number): Promise<void> {
    this.db
      .prepare(`UPDATE jobs SET duration_s = ? WHERE id = ? AND owner = ? AND status = 'running'`)
      .run(durationS, id, owner);
    return Promise.resolve();
  }

  saveChunk(id: string, owner: string, index: number, chunk: FinishedChunk): Promise<void> {
    const save = this.db.transaction(() => {
      const held = this.db
        .prepare(`UPDATE jobs SET done_s = max(done_s, ?) WHERE id = ? AND owner = ? AND status = 'running'`)
        .run(chunk.end, id, owner);
      if (held.changes === 0) return;
      this.db
        .prepare(`INSERT OR REPLACE INTO job_chunks (job_id, idx, chunk) VALUES (?, ?, ?)`)
        .run(id, index, JSON.stringify(chunk));
    });
    save.immediate();
    return Promise.resolve();
  }

  chunks(id: string): Promise<FinishedChunk[]> {
    const rows = this.db.prepare(`SELECT chunk FROM job_chunks WHERE job_id = ? ORDER BY idx`).all(id) as {
      chunk: string;
    }[];
    return Promise.resolve(rows.map((r) => JSON.parse(r.chunk) as FinishedChunk));
  }

  finish(
    id: string,
    owner: string,
    outcome: { result: JobResult } | { error: JobError },
    webhookDue: boolean,
  ): Promise<boolean> {
    const now = Date.now();
    const succeeded = 'result' in outcome;
    const changed = this.db
      .prepare(
        `UPDATE jobs SET status = @status, finished_at = @now, owner = NULL, lease_until = NULL,
           result = @result, error = @error,
           done_s = CASE WHEN @succeeded THEN coalesce(duration_s, done_s) ELSE done_s END,
           webhook_state = CASE WHEN webhook_url IS NOT NULL AND @webhook THEN 'pending' ELSE webhook_state END,
           webhook_next_at = CASE WHEN webhook_url IS NOT NULL AND @webhook THEN @now ELSE webhook_next_at END
         WHERE id = @id AND owner = @owner AND status = 'running'`,
      )
      .run({
        id,
        owner,
        now,
        status: succeeded ? 'succeeded' : 'failed',
        succeeded: succeeded ? 1 : 0,
        webhook: webhookDue ? 1 : 0,
        result: succeeded ? JSON.stringify(outcome.result) : null,
        error: succeeded ? null : JSON.stringify(outcome.error),
      });
    return Promise.resolve(changed.changes === 1);
  }

  result(id: string): Promise<JobResult | undefined> {
    const row = this.db.prepare(`SELECT result FROM jobs WHERE id = ?`).get(id) as
      { result: string | null } | undefined;
    return Promise.resolve(row?.result ? (JSON.parse(row.result) as JobResult) : undefined);
  }

  cancel(id: string): Promise<JobStatus | undefined> {
    const cancel = this.db.transaction((): JobStatus | undefined => {
      const row = this.db.prepare(`SELECT status FROM jobs WHERE id = ?`).get(id) as { status: JobStatus } | undefined;
      if (row && (row.status === 'queued' || row.status === 'running')) {
        this.db
          .prepare(
            `UPDATE jobs SET status = 'cancelled', finished_at = ?, owner = NULL, lease_until = NULL WHERE id = ?`,
          )
          .run(Date.now(), id);
      }
      return row?.status;
    });
    return Promise.resolve(cancel.immediate());
  }

  claimWebhook(now: number, holdMs: number): Promise<Job | undefined> {
    const row = this.db
      .prepare(
        `UPDATE jobs SET webhook_next_at = @until
         WHERE id = (SELECT id FROM jobs WHERE webhook_state = 'pending' AND webhook_next_at <= @now
                     ORDER BY webhook_next_at LIMIT 1)
         RETURNING ${JOB_COLUMNS}`,
      )
      .get({ now, until: now + holdMs }) as JobRow | undefined;
    return Promise.resolve(row ? toJob(row) : undefined);
  }

  deferWebhook(id: string, at: number): Promise<void> {
    this.db.prepare(`UPDATE jobs SET webhook_next_at = ? WHERE id = ? AND webhook_state = 'pending'`).run(at, id);
    return Promise.resolve();
  }

  recordWebhookAttempt(
    id: string,
    attempt: WebhookAttempt,
    next: { state: 'pending'; at: number } | { state: 'delivered' | 'failed' },
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE jobs SET webhook_attempts = json_insert(webhook_attempts, '$[#]', json(@attempt)),
           webhook_state = @state, webhook_next_at = @at
         WHERE id = @id`,
      )
      .run({ id, attempt: JSON.stringify(attempt), state: next.state, at: next.state === 'pending' ? next.at : null });
    return Promise.resolve();
  }

  expire(before: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        `DELETE FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < ?
           AND (webhook_state IS NULL OR webhook_state != 'pending')
         RETURNING id`,
      )
      .all(before) as { id: string }[];
    return Promise.resolve(rows.map((r) => r.id));
  }

  ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.opened?.close();
    this.opened = undefined;
    return Promise.resolve();
  }
}
