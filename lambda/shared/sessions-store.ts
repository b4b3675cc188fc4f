import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed, storeFailure } from './dynamo';
import { HttpError } from './http';
import type { ModelMessage } from './model';

/**
 * Conversation history in one DynamoDB table (partition key `sessionId`, sort key `sk`):
 *
 * - `sk = 'SESSION'`: the owner (principal and tenant from the caller's token), createdAt,
 *   updatedAt, expiresAt (the TTL attribute, moved forward by every turn);
 * - `sk = 'TURN#<request time, ms, 13 digits>#<API request id>'`: one question (as the model saw
 *   it: masked when the guardrail anonymized it) and its answer (as the client saw it).
 *
 * The turn key comes from the API request (its id and the time API Gateway received it), so a
 * retried request writes the same key and its conditional put stores the turn once. Single-item
 * conditional writes only, no transactions: the meta item is written first, so a turn never exists
 * without an owner. Expired items are ignored on read: DynamoDB deletes them up to days late (and
 * the local DynamoDB of the tests never does).
 */
export interface Owner {
  readonly principal: string;
  readonly tenant?: string;
}

/** Identifies this request's turn. */
export interface TurnKey {
  readonly requestId: string;
  /** When API Gateway received the request (ms): the same on a retry of the same request. */
  readonly receivedAtMs: number;
}

export interface SessionSettings {
  /** Most earlier turns sent to the model. */
  readonly historyTurns: number;
  /** Most characters of earlier turns sent to the model (and the cut of each stored message). */
  readonly historyChars: number;
  readonly ttlDays: number;
  /** Most turns a read returns. */
  readonly maxTurnsReturned: number;
}

export interface StoredTurn {
  readonly requestId: string;
  readonly user: string;
  readonly assistant: string;
  readonly model?: string;
  readonly createdAt: string;
}

export interface SessionView {
  readonly sessionId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
  /** Oldest first: the newest `maxTurnsReturned` turns. */
  readonly turns: readonly StoredTurn[];
  /** Older turns exist that are not in `turns`. */
  readonly truncated: boolean;
}

const META = 'SESSION';
const TURN = 'TURN#';
/** Stored in place of "no tenant" (grounds without tenants), so owner checks compare two strings. */
const NO_TENANT = '-';
const STORE = 'Conversation history';

/** The same answer for a session that does not exist, expired, or is someone else's: nothing is revealed. */
export const sessionNotFound = () => new HttpError(404, 'Session not found');

/**
 * The id of the session a request without `sessionId` starts: derived from the caller and the API
 * request id, so a retry of that request continues the same session instead of starting another.
 */
export function newSessionId(owner: Owner, requestId: string): string {
  return createHash('sha256')
    .update(`${owner.principal}\n${owner.tenant ?? NO_TENANT}\n${requestId}`)
    .digest('base64url')
    .slice(0, 32);
}

export class SessionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly settings: SessionSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The turns before `turn` that fit the window (newest first until `historyTurns` or
   * `historyChars` is reached), as Converse messages, oldest first. A 404 when the session is not
   * the caller's; a 503/429 when the store cannot answer (never an answer without its history).
   */
  async history(sessionId: string, owner: Owner, turn: TurnKey, signal?: AbortSignal): Promise<ModelMessage[]> {
    const { historyTurns, historyChars } = this.settings;
    const [meta, items] = await Promise.all([
      this.meta(sessionId, signal),
      historyTurns === 0 ? [] : this.turns(sessionId, historyTurns + 1, signal, turnSk(turn)),
    ]);
    if (!this.owns(meta, owner)) throw sessionNotFound();
    const picked: StoredTurn[] = [];
    let chars = 0;
    for (const t of items.filter((i) => i.sk !== turnSk(turn)).slice(0, historyTurns)) {
      // Converse refuses empty text blocks: a turn with an empty side is not history.
      if (!t.user || !t.assistant) continue;
      chars += t.user.length + t.assistant.length;
      if (chars > historyChars) break;
      picked.push(t);
    }
    return picked.reverse().flatMap((t): ModelMessage[] => [
      { role: 'user', text: t.user },
      { role: 'assistant', text: t.assistant },
    ]);
  }

  /**
   * Stores this request's turn: creates the session (or moves its expiry forward) for its owner,
   * then puts the turn unless a retry of the same request stored it already.
   */
  async append(sessionId: string, owner: Owner, turn: TurnKey, user: string, assistant: string, model: string, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const expiresAt = Math.floor(now / 1000) + this.settings.ttlDays * 86_400;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { sessionId, sk: META },
          UpdateExpression: 'SET #owner = :owner, #tenant = :tenant, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(sessionId) OR (#owner = :owner AND #tenant = :tenant)',
          ExpressionAttributeNames: { '#owner': 'owner', '#tenant': 'tenant' },
          ExpressionAttributeValues: {
            ':owner': owner.principal,
            ':tenant': owner.tenant ?? NO_TENANT,
            ':now': new Date(now).toISOString(),
            ':expiresAt': expiresAt,
          },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (isConditionFailed(error)) throw sessionNotFound();
      throw storeFailure(error, STORE);
    }
    const cut = (text: string) => text.slice(0, this.settings.historyChars);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            sessionId,
            sk: turnSk(turn),
            requestId: turn.requestId,
            user: cut(user),
            assistant: cut(assistant),
            model,
            createdAt: new Date(now).toISOString(),
            expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      // Stored by an earlier attempt of this same request: once is enough.
      if (!isConditionFailed(error)) throw storeFailure(error, STORE);
    }
  }

  /** The session as its owner sees it; a 404 for anyone else. */
  async read(sessionId: string, owner: Owner, signal?: AbortSignal): Promise<SessionView> {
    const max = this.settings.maxTurnsReturned;
    const [meta, items] = await Promise.all([this.meta(sessionId, signal), this.turns(sessionId, max + 1, signal)]);
    if (!this.owns(meta, owner)) throw sessionNotFound();
    return {
      sessionId,
      createdAt: meta.createdAt,
      updatedAt: meta.updatedAt,
      expiresAt: new Date(meta.expiresAt * 1000).toISOString(),
      turns: items
        .slice(0, max)
        .reverse()
        .map((t) => ({ requestId: t.requestId, user: t.user, assistant: t.assistant, model: t.model, createdAt: t.createdAt })),
      truncated: items.length > max,
    };
  }

  private owns(meta: MetaItem | undefined, owner: Owner): meta is MetaItem {
    return meta !== undefined && meta.owner === owner.principal && meta.tenant === (owner.tenant ?? NO_TENANT) && meta.expiresAt > this.now() / 1000;
  }

  private async meta(sessionId: string, signal?: AbortSignal): Promise<MetaItem | undefined> {
    const out = await this.db
      .send(new GetCommand({ TableName: this.table, Key: { sessionId, sk: META }, ConsistentRead: true }), { abortSignal: signal })
      .catch((error: unknown) => {
        throw storeFailure(error, STORE);
      });
    return out.Item as MetaItem | undefined;
  }

  /** The newest `limit` unexpired turns (up to and including `upTo`), newest first. */
  private async turns(sessionId: string, limit: number, signal?: AbortSignal, upTo = `${TURN}~`): Promise<(StoredTurn & { sk: string })[]> {
    const out = await this.db
      .send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'sessionId = :id AND sk BETWEEN :first AND :last',
          ExpressionAttributeValues: { ':id': sessionId, ':first': TURN, ':last': upTo },
          ScanIndexForward: false,
          // Strongly consistent: a follow-up sent right after an answer must see that answer.
          ConsistentRead: true,
          Limit: limit,
        }),
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        throw storeFailure(error, STORE);
      });
    const nowSeconds = this.now() / 1000;
    return ((out.Items ?? []) as (StoredTurn & { sk: string; expiresAt: number })[]).filter((t) => t.expiresAt > nowSeconds);
  }
}

interface MetaItem {
  readonly owner: string;
  readonly tenant: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: number;
}

function turnSk(turn: TurnKey): string {
  return `${TURN}${String(Math.max(0, Math.trunc(turn.receivedAtMs))).padStart(13, '0')}#${turn.requestId}`;
}
