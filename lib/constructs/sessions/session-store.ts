import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IModelApi } from '../api/model-api';
import { type GatewayTenant, tenantDirectoryJson } from '../shared/tenants';
import { BlueprintFunction } from '../shared/blueprint-function';
import { checkInteger } from '../shared/checks';
import type { IRouteBlock } from '../shared/routes';
import { dataTable } from '../shared/data-table';
import { functionEnvironment, type SessionStoreEnvironment, sessionsEnvSchema } from '../../../contracts/env';

export interface SessionStoreProps {
  /** A session is deleted this long after its last turn (1-365 days). @default Duration.days(30) */
  readonly ttl?: Duration;
  /** Most earlier turns sent to the model with a new question (0-50). @default 10 */
  readonly historyTurns?: number;
  /** Most characters of earlier turns sent to the model (100-60000); also the cut of each stored message. @default 12000 */
  readonly historyChars?: number;
  /** Most turns `GET /sessions/{id}` returns (1-200). @default 50 */
  readonly maxTurnsReturned?: number;
  /** Refuse to delete the table through CloudFormation or the console. @default true */
  readonly deletionProtection?: boolean;
  /** Adds `GET /sessions/{id}` (owner only) to this API. @default no read route */
  readonly api?: IModelApi;
  /**
   * The TENANTS value the prompt function gets (tenant directory JSON), so the read function
   * resolves callers to the same owners. @default no tenants (grounds without a gateway)
   */
  readonly tenants?: readonly GatewayTenant[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** A session store functions read and append turns to: the `SessionStore` construct, or one imported (`SessionStore.fromSessionStoreAttributes`). */
export interface ISessionStore {
  readonly table: dynamodb.ITable;
  /** Settings every function using the store reads (table name and window), see contracts/env.ts. */
  readonly environment: Readonly<SessionStoreEnvironment>;
  /** Lets `fn` read sessions and append turns, and sets its environment. */
  grantReadWrite(fn: lambda.Function): iam.Grant;
  /** Lets `fn` read sessions, and sets its environment. */
  grantRead(fn: lambda.Function): iam.Grant;
}

export interface SessionStoreAttributes {
  /** The table (partition key `sessionId`, sort key `sk`, TTL attribute `expiresAt`), e.g. from `Table.fromTableName`. */
  readonly table: dynamodb.ITable;
  /** As `SessionStoreProps.ttl`. @default Duration.days(30) */
  readonly ttl?: Duration;
  /** As `SessionStoreProps.historyTurns`. @default 10 */
  readonly historyTurns?: number;
  /** As `SessionStoreProps.historyChars`. @default 12000 */
  readonly historyChars?: number;
  /** As `SessionStoreProps.maxTurnsReturned`. @default 50 */
  readonly maxTurnsReturned?: number;
}

abstract class SessionStoreBase extends Construct implements ISessionStore {
  public abstract readonly table: dynamodb.ITable;
  public abstract readonly environment: Readonly<SessionStoreEnvironment>;

  /** Lets `fn` read sessions and append turns (GetItem, Query, UpdateItem, PutItem on this table only) and sets its environment. */
  public grantReadWrite(fn: lambda.Function): iam.Grant {
    this.configure(fn);
    return this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem');
  }

  /** Lets `fn` read sessions (GetItem, Query on this table only) and sets its environment. */
  public grantRead(fn: lambda.Function): iam.Grant {
    this.configure(fn);
    return this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:Query');
  }

  private configure(fn: lambda.Function): void {
    for (const [key, value] of Object.entries(this.environment)) fn.addEnvironment(key, value);
  }
}

/** The window settings, defaulted and validated, as the functions read them. */
function sessionEnvironment(
  tableName: string,
  settings: Pick<SessionStoreProps, 'ttl' | 'historyTurns' | 'historyChars' | 'maxTurnsReturned'>,
): SessionStoreEnvironment {
  const ttlDays = (settings.ttl ?? Duration.days(30)).toDays({ integral: false });
  const historyTurns = settings.historyTurns ?? 10;
  const historyChars = settings.historyChars ?? 12_000;
  const maxTurnsReturned = settings.maxTurnsReturned ?? 50;
  checkInteger('ttl (days)', ttlDays, 1, 365);
  checkInteger('historyTurns', historyTurns, 0, 50);
  // A turn item holds two messages of at most historyChars each: at 60000 it stays below DynamoDB's 400 KB item limit.
  checkInteger('historyChars', historyChars, 100, 60_000);
  checkInteger('maxTurnsReturned', maxTurnsReturned, 1, 200);
  return {
    SESSIONS_TABLE: tableName,
    SESSION_HISTORY_TURNS: String(historyTurns),
    SESSION_HISTORY_CHARS: String(historyChars),
    SESSION_TTL_DAYS: String(ttlDays),
    SESSION_MAX_TURNS_RETURNED: String(maxTurnsReturned),
  };
}

/**
 * Conversation history: an on-demand DynamoDB table with point-in-time recovery, TTL
 * (`expiresAt`), encryption with the AWS-managed key (aws/dynamodb: key use shows in CloudTrail,
 * no key policy to get wrong; a customer key is a follow-up for HIPAA-style requirements),
 * deletion protection and RETAIN (the history outlives a stack deletion), and optionally the
 * owner-only `GET /sessions/{id}` route. The prompt function reads and appends turns through
 * `grantReadWrite`.
 */
export class SessionStore extends SessionStoreBase implements IRouteBlock {
  /** A session table created elsewhere (the same key schema), with the window the functions should use. */
  public static fromSessionStoreAttributes(scope: Construct, id: string, attrs: SessionStoreAttributes): ISessionStore {
    const environment = sessionEnvironment(attrs.table.tableName, attrs);
    class Import extends SessionStoreBase {
      public readonly table = attrs.table;
      public readonly environment = environment;
    }
    return new Import(scope, id);
  }

  public readonly table: dynamodb.Table;
  /** Settings every function using the store reads (table name and window), see contracts/env.ts. */
  public readonly environment: Readonly<SessionStoreEnvironment>;
  /** Serves `GET /sessions/{id}` when `api` is given. */
  public readonly readFunction?: BlueprintFunction;
  /** `GET /sessions/{id}`, for usage plans and API key requirements. */
  public readonly method?: apigateway.Method;

  constructor(scope: Construct, id: string, props: SessionStoreProps = {}) {
    super(scope, id);
    const settings = sessionEnvironment('', props);
    this.table = dataTable(this, 'Table', {
      partitionKey: 'sessionId',
      sortKey: 'sk',
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: props.deletionProtection ?? true,
    });
    this.environment = { ...settings, SESSIONS_TABLE: this.table.tableName };

    if (props.api) {
      this.readFunction = new BlueprintFunction(this, 'ReadFunction', {
        handlerDir: 'sessions',
        description: "genai-blueprint: answers GET /sessions/{id} with the caller's own session",
        memorySize: 256,
        timeout: Duration.seconds(10),
        logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        invokedBy: 'api-gateway',
        // The store's settings again from grantRead (the same values), so the contract sees them all here.
        environment: functionEnvironment(sessionsEnvSchema, {
          ...(props.tenants?.length ? { TENANTS: tenantDirectoryJson(this, props.tenants) } : {}),
          ...this.environment,
        }),
      });
      this.grantRead(this.readFunction);
      // Authorization comes from the API's defaults (IAM, or the Cognito authorizer at ground 7).
      this.method = props.api.addGetRoute('sessions/{id}', this.readFunction);
    }
  }

  public get routeFunctions(): BlueprintFunction[] {
    return this.readFunction ? [this.readFunction] : [];
  }

  public get methods(): apigateway.Method[] {
    return this.method ? [this.method] : [];
  }
}
