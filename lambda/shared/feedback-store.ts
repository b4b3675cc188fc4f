import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed, storeFailure } from './dynamo';
import { HttpError } from './http';
import type { Owner } from './sessions-store';

/**
 * One item per answer in the feedback table (partition key `requestId`, the API request id the
 * client received with the answer): the prompt route puts what answered (model, prompt version,
 * guardrail version, cache status) and who received it; `POST /feedback` adds the rating to that
 * same item. One item means single-item conditional writes suffice (no transactions; the local
 * DynamoDB of the tests has none): the rating is written with a revision check, so concurrent
 * writers cannot lose an update, and a retry that finds its own rating writes nothing.
 */
export type Rating = 'up' | 'down';

export interface AnswerRecord {
  readonly requestId: string;
  readonly owner: Owner;
  readonly model: string;
  readonly modelId: string;
  readonly promptVersion?: string;
  readonly guardrailVersion?: string;
  /** 'none' (the model answered), 'exact' or 'semantic'; unset without a cache. */
  readonly cache?: string;
  readonly sessionId?: string;
}

/** What `POST /feedback` answers: the rating as stored, and the answer it is about. */
export interface StoredFeedback {
  readonly requestId: string;
  readonly rating: Rating;
  readonly comment?: string;
  readonly ratedAt: string;
  readonly model: string;
  readonly modelId: string;
  readonly promptVersion?: string;
  readonly guardrailVersion?: string;
  readonly cache?: string;
}

/** `recorded`: first rating; `changed`: a different rating or comment replaced the stored one; `unchanged`: the same feedback again (a retry). */
export type FeedbackOutcome = 'recorded' | 'changed' | 'unchanged';

export interface FeedbackSettings {
  /** Days an answer can be rated after it was given. */
  readonly windowDays: number;
  /** Days a rating is kept, from when it was given. */
  readonly retentionDays: number;
}

interface FeedbackItem {
  readonly requestId: string;
  readonly principal: string;
  readonly tenant: string;
  readonly model: string;
  readonly modelId: string;
  readonly promptVersion?: string;
  readonly guardrailVersion?: string;
  readonly cache?: string;
  readonly createdAt: string;
  readonly expiresAt: number;
  readonly rating?: Rating;
  readonly comment?: string;
  readonly ratedAt?: string;
  readonly revision?: number;
  /** Which `rate` call wrote the rating (see `rate`). */
  readonly writeId?: string;
}

const STORE = 'Feedback';
const NO_TENANT = '-';
/** Rounds of read-then-conditional-write before giving up under contention. */
const MAX_ROUNDS = 5;

export const answerNotFound = () => new HttpError(404, 'No answer with this requestId to rate: it is unknown, not yours, or older than the feedback window');

export class FeedbackStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly settings: FeedbackSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called by the prompt route after an answer; a retry of the same request leaves the first record (and any rating) alone. */
  async recordAnswer(record: AnswerRecord, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const item: FeedbackItem = {
      requestId: record.requestId,
      principal: record.owner.principal,
      tenant: record.owner.tenant ?? NO_TENANT,
      model: record.model,
      modelId: record.modelId,
      promptVersion: record.promptVersion,
      guardrailVersion: record.guardrailVersion,
      cache: record.cache,
      createdAt: new Date(now).toISOString(),
      expiresAt: Math.floor(now / 1000) + this.settings.windowDays * 86_400,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...item, ...(record.sessionId ? { sessionId: record.sessionId } : {}) },
          ConditionExpression: 'attribute_not_exists(requestId)',
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw storeFailure(error, STORE);
    }
  }

  /**
   * Rates the answer `requestId` for its owner, within the feedback window from when it was given
   * (a 404 for anyone else, or later). Read, then write only if the stored feedback differs, on the
   * condition that nobody wrote since the read; a writer that lost the race reads again.
   * `previous` is the rating this write replaced (for metrics that count each rating once).
   */
  async rate(
    requestId: string,
    owner: Owner,
    rating: Rating,
    comment: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ outcome: FeedbackOutcome; previous?: Rating; feedback: StoredFeedback }> {
    // The SDK retries an attempt that timed out, and the attempt may have landed: the retry then
    // fails its revision condition on our own write. Each write carries this call's id, so the next
    // read recognises it as ours (recorded or changed, counted once) instead of a rival's.
    const writeId = randomUUID();
    let written: { outcome: FeedbackOutcome; previous?: Rating; feedback: StoredFeedback } | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.read(requestId, signal);
      if (written && item?.writeId === writeId) return written;
      const now = this.now();
      const nowSeconds = now / 1000;
      // The window runs from the answer, not from expiresAt: a rating moves expiresAt to the end of
      // the retention period. A missing or unreadable createdAt (NaN) counts as outside the window.
      const windowEnd = Date.parse(item?.createdAt ?? '') + this.settings.windowDays * 86_400_000;
      if (!item || item.principal !== owner.principal || item.tenant !== (owner.tenant ?? NO_TENANT) || item.expiresAt <= nowSeconds || !(now < windowEnd))
        throw answerNotFound();
      if (item.rating === rating && item.comment === comment) return { outcome: 'unchanged', previous: item.rating, feedback: view(item) };

      const ratedAt = new Date(now).toISOString();
      const revision = (item.revision ?? 0) + 1;
      written = { outcome: item.rating === undefined ? 'recorded' : 'changed', previous: item.rating, feedback: view({ ...item, rating, comment, ratedAt }) };
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { requestId },
            UpdateExpression:
              'SET rating = :rating, ratedAt = :ratedAt, revision = :revision, expiresAt = :expiresAt, writeId = :writeId ' +
              (comment === undefined ? 'REMOVE #comment' : ', #comment = :comment'),
            // UpdateItem adds an item that does not exist (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html):
            // the first rating also requires the answer to still exist, or one deleted since the read
            // (its expiry passed) would come back as a rating with no owner.
            ConditionExpression: item.revision === undefined ? 'attribute_exists(requestId) AND attribute_not_exists(revision)' : 'revision = :previous',
            ExpressionAttributeNames: { '#comment': 'comment' },
            ExpressionAttributeValues: {
              ':rating': rating,
              ':ratedAt': ratedAt,
              ':revision': revision,
              ':writeId': writeId,
              ':expiresAt': Math.floor(nowSeconds) + this.settings.retentionDays * 86_400,
              ...(comment === undefined ? {} : { ':comment': comment }),
              ...(item.revision === undefined ? {} : { ':previous': item.revision }),
            },
          }),
          { abortSignal: signal },
        );
      } catch (error) {
        if (isConditionFailed(error)) continue;
        throw storeFailure(error, STORE);
      }
      return written;
    }
    throw new HttpError(409, 'This answer is being rated by several requests at once; retry', { 'Retry-After': '1' });
  }

  private async read(requestId: string, signal?: AbortSignal): Promise<FeedbackItem | undefined> {
    const out = await this.db
      .send(new GetCommand({ TableName: this.table, Key: { requestId }, ConsistentRead: true }), { abortSignal: signal })
      .catch((error: unknown) => {
        throw storeFailure(error, STORE);
      });
    return out.Item as FeedbackItem | undefined;
  }
}

function view(item: FeedbackItem): StoredFeedback {
  return {
    requestId: item.requestId,
    rating: item.rating!,
    ...(item.comment !== undefined ? { comment: item.comment } : {}),
    ratedAt: item.ratedAt!,
    model: item.model,
    modelId: item.modelId,
    ...(item.promptVersion !== undefined ? { promptVersion: item.promptVersion } : {}),
    ...(item.guardrailVersion !== undefined ? { guardrailVersion: item.guardrailVersion } : {}),
    ...(item.cache !== undefined ? { cache: item.cache } : {}),
  };
}
