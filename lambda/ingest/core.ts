import { documentAudience, isSidecarKey, NO_AUDIENCE, sidecarBody, sidecarKeyOf } from '../../contracts/tenant-documents';

/**
 * Ingestion of the knowledge base, debounced: the queue collects upload events for a batching
 * window, one batch starts at most one ingestion job (a job re-syncs the whole data source, so one
 * job covers every upload before it), and the job is then watched through delayed "check"
 * messages on the same queue until it ends. Before the job, every uploaded document gets the
 * metadata sidecar that scopes its retrieval (contracts/tenant-documents.ts), written from its key
 * alone: a job reads the bucket as it is when it runs, so the sidecar must be there first. No SDK,
 * no environment, no logger here: the handler turns the returned events into logs and metrics.
 */

/** A queue message, already parsed by the handler. */
export type IngestMessage =
  | { readonly id: string; readonly kind: 'upload'; readonly key: string }
  | { readonly id: string; readonly kind: 'check'; readonly ingestionJobId: string; readonly checks: number };

/** What the check loop sends to itself. */
export interface CheckMessage {
  readonly kind: 'check';
  readonly ingestionJobId: string;
  /** Checks done so far, so a job that never ends stops being watched. */
  readonly checks: number;
}

export type JobStatus = 'STARTING' | 'IN_PROGRESS' | 'STOPPING' | 'COMPLETE' | 'FAILED' | 'STOPPED';

export interface JobState {
  readonly ingestionJobId: string;
  readonly status: JobStatus;
  readonly failureReasons: readonly string[];
  readonly documentsScanned: number;
  readonly documentsIndexed: number;
  readonly documentsDeleted: number;
  readonly documentsFailed: number;
}

/** The knowledge base's ingestion API (bedrock-agent), for one data source. */
export interface IngestionPort {
  /** `conflict` when the service refuses because a job of this data source is already running. */
  startJob(): Promise<{ readonly started: string } | { readonly conflict: true }>;
  /** Id of a job of this data source that is STARTING or IN_PROGRESS, if any. */
  findRunningJob(): Promise<string | undefined>;
  getJob(ingestionJobId: string): Promise<JobState>;
}

/** The documents bucket: only what labelling needs. */
export interface DocumentStorePort {
  exists(key: string): Promise<boolean>;
  put(key: string, body: string): Promise<void>;
  remove(key: string): Promise<void>;
}

export interface QueuePort {
  sendCheck(message: CheckMessage, delaySeconds: number): Promise<void>;
}

export interface IngestSettings {
  /** Delay between two checks of a running job (SQS allows at most 900 s). */
  readonly checkDelaySeconds: number;
  /** Checks after which a job that is still running is reported and no longer watched. */
  readonly maxChecks: number;
}

/** What happened, for the handler to log and count. */
export type IngestEvent =
  /** Sidecars written for documents that exist, removed for documents that are gone. */
  | { readonly type: 'labelled'; readonly written: number; readonly removed: number }
  /** A document under tenants/ whose folder is no tenant name: indexed for no caller. */
  | { readonly type: 'unassigned'; readonly key: string }
  /** The sidecar could not be written or removed: the upload returns to the queue. */
  | { readonly type: 'label-failed'; readonly key: string; readonly error: string }
  /** Events of sidecars themselves (the upload rule drops them): never documents, never a job. */
  | { readonly type: 'sidecars-ignored'; readonly count: number }
  | { readonly type: 'started'; readonly ingestionJobId: string; readonly uploads: number }
  | { readonly type: 'deferred'; readonly runningJobId?: string; readonly uploads: number }
  | { readonly type: 'start-failed'; readonly uploads: number; readonly error: string }
  | { readonly type: 'check-not-scheduled'; readonly ingestionJobId: string; readonly error: string }
  | { readonly type: 'running'; readonly ingestionJobId: string; readonly checks: number }
  | { readonly type: 'complete'; readonly job: JobState }
  | { readonly type: 'failed'; readonly job: JobState }
  | { readonly type: 'abandoned'; readonly ingestionJobId: string; readonly checks: number }
  | { readonly type: 'check-failed'; readonly ingestionJobId: string; readonly error: string };

export interface IngestResult {
  /** Ids of messages to return to the queue (SQS partial batch response). */
  readonly failedMessageIds: string[];
  readonly events: IngestEvent[];
}

const RUNNING: readonly JobStatus[] = ['STARTING', 'IN_PROGRESS', 'STOPPING'];

export async function processBatch(
  messages: readonly IngestMessage[],
  deps: { readonly ingestion: IngestionPort; readonly queue: QueuePort; readonly documents: DocumentStorePort },
  settings: IngestSettings,
): Promise<IngestResult> {
  const result: IngestResult = { failedMessageIds: [], events: [] };
  const uploads = await labelUploads(
    messages.filter((m) => m.kind === 'upload'),
    deps.documents,
    result,
  );
  if (uploads.length > 0)
    await startOnce(
      uploads.map((u) => u.id),
      deps,
      settings,
      result,
    );

  // One check per job and batch: a redelivered duplicate must not fork a second check loop.
  const checks = new Map<string, Extract<IngestMessage, { kind: 'check' }>>();
  for (const m of messages) if (m.kind === 'check' && !checks.has(m.ingestionJobId)) checks.set(m.ingestionJobId, m);
  for (const check of checks.values()) await checkJob(check, deps, settings, result);
  return result;
}

/**
 * Writes the sidecar of every uploaded document that exists and removes the sidecar of every one
 * that is gone, judged by the bucket's state rather than the event's kind (events of one key may
 * arrive out of order). Returns the uploads a job must cover; those that failed come back later.
 */
async function labelUploads(
  uploads: readonly Extract<IngestMessage, { kind: 'upload' }>[],
  documents: DocumentStorePort,
  result: IngestResult,
): Promise<Extract<IngestMessage, { kind: 'upload' }>[]> {
  const byKey = new Map<string, Extract<IngestMessage, { kind: 'upload' }>[]>();
  for (const u of uploads) byKey.set(u.key, [...(byKey.get(u.key) ?? []), u]);
  const done: Extract<IngestMessage, { kind: 'upload' }>[] = [];
  let written = 0;
  let removed = 0;
  let sidecars = 0;
  for (const [key, messages] of byKey) {
    // Our own sidecar writes would otherwise loop back here; a sidecar is never a document.
    if (isSidecarKey(key)) {
      sidecars += messages.length;
      continue;
    }
    // A folder marker (the console's "Create folder"): no document, nothing to label.
    if (key.endsWith('/')) {
      done.push(...messages);
      continue;
    }
    try {
      const outcome = await labelDocument(key, documents);
      if (outcome.written) {
        written++;
        if (documentAudience(outcome.written) === NO_AUDIENCE) result.events.push({ type: 'unassigned', key: outcome.written });
      } else if (outcome.removed) removed += outcome.removed;
      done.push(...messages);
    } catch (error) {
      result.failedMessageIds.push(...messages.map((m) => m.id));
      result.events.push({ type: 'label-failed', key, error: describe(error) });
    }
  }
  if (written + removed > 0) result.events.push({ type: 'labelled', written, removed });
  if (sidecars > 0) result.events.push({ type: 'sidecars-ignored', count: sidecars });
  return done;
}

/**
 * The event's key as written, or URL-decoded: S3's notifications URL-encode keys (`red flower.jpg`
 * as `red+flower.jpg`); whichever names an object is the document.
 */
async function labelDocument(key: string, documents: DocumentStorePort): Promise<{ written?: string; removed?: number }> {
  const candidates = [key, decodedKey(key)].filter((k, i, all): k is string => k !== undefined && all.indexOf(k) === i);
  for (const candidate of candidates) {
    if (await documents.exists(candidate)) {
      // Unconditional: whatever sidecar was there (the bucket policy lets no one else write one), ours replaces it.
      await documents.put(sidecarKeyOf(candidate), sidecarBody(candidate));
      return { written: candidate };
    }
  }
  let removed = 0;
  for (const candidate of candidates) {
    // Checked first: in a versioned bucket, deleting a missing key still adds a delete marker.
    if (await documents.exists(sidecarKeyOf(candidate))) {
      await documents.remove(sidecarKeyOf(candidate));
      removed++;
    }
  }
  return { removed };
}

function decodedKey(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

async function startOnce(ids: string[], deps: { ingestion: IngestionPort; queue: QueuePort }, settings: IngestSettings, result: IngestResult): Promise<void> {
  try {
    // A job that is already running may have listed the bucket before these uploads: they wait
    // for the next job (the messages come back after the visibility timeout), never get lost.
    const running = await deps.ingestion.findRunningJob();
    const start = running ? undefined : await deps.ingestion.startJob();
    if (!start || 'conflict' in start) {
      result.failedMessageIds.push(...ids);
      result.events.push({ type: 'deferred', runningJobId: running, uploads: ids.length });
      return;
    }
    result.events.push({ type: 'started', ingestionJobId: start.started, uploads: ids.length });
    try {
      await deps.queue.sendCheck({ kind: 'check', ingestionJobId: start.started, checks: 0 }, settings.checkDelaySeconds);
    } catch (error) {
      // An unwatched job could fail silently: return the uploads, so a later job is started and watched.
      result.failedMessageIds.push(...ids);
      result.events.push({ type: 'check-not-scheduled', ingestionJobId: start.started, error: describe(error) });
    }
  } catch (error) {
    result.failedMessageIds.push(...ids);
    result.events.push({ type: 'start-failed', uploads: ids.length, error: describe(error) });
  }
}

async function checkJob(
  check: Extract<IngestMessage, { kind: 'check' }>,
  deps: { ingestion: IngestionPort; queue: QueuePort },
  settings: IngestSettings,
  result: IngestResult,
): Promise<void> {
  try {
    const job = await deps.ingestion.getJob(check.ingestionJobId);
    if (RUNNING.includes(job.status)) {
      const checks = check.checks + 1;
      if (checks >= settings.maxChecks) {
        result.events.push({ type: 'abandoned', ingestionJobId: job.ingestionJobId, checks });
        return;
      }
      await deps.queue.sendCheck({ kind: 'check', ingestionJobId: job.ingestionJobId, checks }, settings.checkDelaySeconds);
      result.events.push({ type: 'running', ingestionJobId: job.ingestionJobId, checks });
    } else if (job.status === 'COMPLETE' && job.documentsFailed === 0) {
      result.events.push({ type: 'complete', job });
    } else {
      // FAILED, STOPPED, or COMPLETE with documents that could not be indexed.
      result.events.push({ type: 'failed', job });
    }
  } catch (error) {
    result.failedMessageIds.push(check.id);
    result.events.push({ type: 'check-failed', ingestionJobId: check.ingestionJobId, error: describe(error) });
  }
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
