import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from './http';
import { TENANT_GROUP_PREFIX, type TenantDirectory, tenantDirectorySchema, type TenantTier } from '../../contracts/tenants';

/** The directory in the TENANTS variable the stack writes (lib/constructs/shared/tenants.ts, shape in contracts/tenants.ts); none below ground 4. */
export function tenantDirectoryFrom(json: string | undefined): TenantDirectory {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json ?? '{}');
  } catch {
    throw new Error('Function environment is invalid: TENANTS is not JSON');
  }
  const result = tenantDirectorySchema.safeParse(parsed);
  if (!result.success) throw new Error(`Function environment is invalid: TENANTS.${result.error.issues.map((i) => i.path.join('.')).join(', TENANTS.')}`);
  return result.data;
}

/**
 * Who is calling, from what API Gateway vouches for (a verified Cognito token, the API key it
 * checked, the SigV4 signer), never from the request body or model text.
 */
export interface Caller {
  /** `user:<sub>`, `client:<id>`, `apikey:<id>` or `iam:<arn>`: the owner of sessions and feedback. */
  readonly principal: string;
  readonly kind: 'user' | 'machine' | 'api-key' | 'iam';
  /** Unset when the ground has no tenants (grounds 0-3). */
  readonly tenant?: string;
  readonly tier?: TenantTier;
  readonly modelIds?: Readonly<Record<string, string>>;
}

type Claims = Record<string, unknown>;

/**
 * The caller of a request. Cognito claims win over the API key; when both name a tenant they
 * must agree (403). Throws a 403 for a token whose tenant is not configured.
 */
export function callerOf(event: APIGatewayProxyEvent, directory: TenantDirectory): Caller {
  const claims = event.requestContext?.authorizer?.claims as Claims | undefined;
  const apiKeyId = event.requestContext?.identity?.apiKeyId ?? undefined;
  const keyEntry = apiKeyId ? directory[apiKeyId] : undefined;
  if (claims && typeof claims === 'object') {
    const fromToken = tokenCaller(claims, directory);
    if (keyEntry && fromToken.tenant !== keyEntry.tenant) {
      throw new HttpError(403, "The API key belongs to another tenant than the caller's token");
    }
    return fromToken;
  }
  if (apiKeyId && keyEntry) return { principal: `apikey:${apiKeyId}`, kind: 'api-key', ...keyEntry };
  const arn = event.requestContext?.identity?.userArn;
  return { principal: `iam:${typeof arn === 'string' && arn ? arn : 'unknown'}`, kind: 'iam' };
}

function tokenCaller(claims: Claims, directory: TenantDirectory): Caller {
  const text = (key: string) => (typeof claims[key] === 'string' && claims[key] !== '' ? (claims[key] as string) : undefined);
  const sub = text('sub');
  const tenantGroups = groupsOf(text('cognito:groups')).filter((g) => g.startsWith(TENANT_GROUP_PREFIX));
  if (tenantGroups.length > 1) throw new HttpError(403, 'The user belongs to more than one tenant group; an administrator must keep one');
  if (tenantGroups.length === 1 && sub) {
    const name = tenantGroups[0].slice(TENANT_GROUP_PREFIX.length);
    const entry = Object.values(directory).find((t) => t.tenant === name);
    if (!entry) throw new HttpError(403, 'The token names a tenant that is not configured');
    return { principal: `user:${sub}`, kind: 'user', ...entry };
  }
  // A machine client's access token (client-credentials grant) carries its client id as its
  // subject too; a user's token through that client would have the user as subject.
  const clientId = text('client_id');
  const entry = clientId && sub === clientId ? directory[clientId] : undefined;
  if (clientId && entry) return { principal: `client:${clientId}`, kind: 'machine', ...entry };
  throw new HttpError(
    403,
    `The token names no tenant: users must be in one ${TENANT_GROUP_PREFIX}<name> group; machine clients must use their tenant's app client`,
  );
}

/** API Gateway passes list claims as one string: `[a b]`, `a,b` or `a`. */
function groupsOf(claim: string | undefined): string[] {
  if (!claim) return [];
  return claim
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
}
