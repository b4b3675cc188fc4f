import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from '../../lambda/shared/http';
import { callerOf, tenantDirectoryFrom } from '../../lambda/shared/identity';
import type { TenantDirectory } from '../../contracts/tenants';

const directory: TenantDirectory = {
  keyAcme: { tenant: 'acme', tier: 'premium', modelIds: { 'nova-lite': 'arn:profile/acme' } },
  keyGlobex: { tenant: 'globex', tier: 'basic' },
  clientAcme: { tenant: 'acme', tier: 'premium', modelIds: { 'nova-lite': 'arn:profile/acme' } },
};

function event(opts: { apiKeyId?: string; userArn?: string; claims?: Record<string, string> } = {}): APIGatewayProxyEvent {
  return {
    requestContext: {
      identity: { apiKeyId: opts.apiKeyId ?? null, userArn: opts.userArn ?? null },
      ...(opts.claims ? { authorizer: { claims: opts.claims } } : {}),
    },
  } as unknown as APIGatewayProxyEvent;
}

const refused = (e: APIGatewayProxyEvent) => {
  try {
    callerOf(e, directory);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return { status: (error as HttpError).statusCode, message: (error as HttpError).message };
  }
  throw new Error('expected the caller to be refused');
};

describe('callerOf', () => {
  test('a SigV4 caller (grounds 0-3) is its IAM identity, with no tenant', () => {
    expect(callerOf(event({ userArn: 'arn:aws:iam::123456789012:user/ci' }), {})).toEqual({ principal: 'iam:arn:aws:iam::123456789012:user/ci', kind: 'iam' });
  });

  test("an API key (ground 4) is its tenant, with the tenant's tier and inference profiles", () => {
    expect(callerOf(event({ apiKeyId: 'keyGlobex', userArn: 'arn:aws:iam::1:user/x' }), directory)).toEqual({
      principal: 'apikey:keyGlobex',
      kind: 'api-key',
      tenant: 'globex',
      tier: 'basic',
    });
  });

  test('a user token (ground 7): the tenant group names the tenant, the subject is the principal', () => {
    const caller = callerOf(event({ claims: { sub: 'u-1', 'cognito:groups': '[readers tenant-acme]', client_id: 'webClient' } }), directory);
    expect(caller).toEqual({ principal: 'user:u-1', kind: 'user', tenant: 'acme', tier: 'premium', modelIds: { 'nova-lite': 'arn:profile/acme' } });
    // API Gateway's other spellings of a list claim.
    expect(callerOf(event({ claims: { sub: 'u-1', 'cognito:groups': 'tenant-acme,readers' } }), directory).tenant).toBe('acme');
    expect(callerOf(event({ claims: { sub: 'u-1', 'cognito:groups': 'tenant-globex' } }), directory).tenant).toBe('globex');
  });

  test("a machine client's access token (client credentials) is its tenant's app client", () => {
    expect(callerOf(event({ claims: { sub: 'clientAcme', client_id: 'clientAcme', scope: 'genai/invoke' } }), directory)).toMatchObject({
      principal: 'client:clientAcme',
      kind: 'machine',
      tenant: 'acme',
    });
  });

  test('the token wins over the API key, and they must name the same tenant', () => {
    expect(callerOf(event({ apiKeyId: 'keyAcme', claims: { sub: 'u-1', 'cognito:groups': 'tenant-acme' } }), directory).principal).toBe('user:u-1');
    expect(refused(event({ apiKeyId: 'keyGlobex', claims: { sub: 'u-1', 'cognito:groups': 'tenant-acme' } }))).toEqual({
      status: 403,
      message: "The API key belongs to another tenant than the caller's token",
    });
  });

  test.each([
    ['no tenant group', { sub: 'u-1', 'cognito:groups': 'readers' }, /names no tenant/],
    ['no groups and an unknown client', { sub: 'u-1', client_id: 'someOtherClient' }, /names no tenant/],
    ["a user's token through a tenant's machine client (subject is not the client)", { sub: 'u-1', client_id: 'clientAcme' }, /names no tenant/],
    ['a tenant that is not configured', { sub: 'u-1', 'cognito:groups': 'tenant-initech' }, /not configured/],
    ['two tenant groups', { sub: 'u-1', 'cognito:groups': 'tenant-acme tenant-globex' }, /more than one tenant/],
    // Only the brackets around API Gateway's list are dropped: a group whose name merely contains the tenant's is not it.
    ['a group named "tenant-acme]"', { sub: 'u-1', 'cognito:groups': '[tenant-acme]]' }, /not configured/],
    ['a group named "[tenant-acme"', { sub: 'u-1', 'cognito:groups': '[[tenant-acme]' }, /names no tenant/],
    ['a tenant claim in the wrong place (custom attribute only)', { sub: 'u-1', 'custom:tenant': 'acme' }, /names no tenant/],
  ])('a token with %s is refused with 403', (_case, claims, message) => {
    const { status, message: text } = refused(event({ claims }));
    expect(status).toBe(403);
    expect(text).toMatch(message);
  });

  test('a caller API Gateway vouches for with nothing: an unknown IAM principal, never a tenant', () => {
    const nobody = { principal: 'iam:unknown', kind: 'iam' };
    expect(callerOf({} as unknown as APIGatewayProxyEvent, directory)).toEqual(nobody);
    expect(callerOf({ requestContext: {} } as unknown as APIGatewayProxyEvent, directory)).toEqual(nobody);
    expect(callerOf(event({ userArn: '' }), directory)).toEqual(nobody);
    expect(callerOf(event(), directory)).toEqual(nobody);
    const numeric = { requestContext: { identity: { userArn: 42 } } } as unknown as APIGatewayProxyEvent;
    expect(callerOf(numeric, directory)).toEqual(nobody);
    // No API key is no API key, even in a directory holding entries under the keys "null" and "undefined".
    expect(callerOf(event(), { null: { tenant: 'acme', tier: 'basic' }, undefined: { tenant: 'acme', tier: 'basic' } })).toEqual(nobody);
  });

  test('claims that are not an object are no token', () => {
    const stringClaims = { requestContext: { identity: { apiKeyId: 'keyGlobex' }, authorizer: { claims: 'sub=u-1' } } } as unknown as APIGatewayProxyEvent;
    expect(callerOf(stringClaims, directory)).toMatchObject({ principal: 'apikey:keyGlobex', tenant: 'globex' });
  });

  test('a claim that is not a non-empty string is absent', () => {
    const claims = { sub: 7, 'cognito:groups': 'tenant-acme' } as unknown as Record<string, string>;
    expect(refused(event({ claims })).message).toBe(
      "The token names no tenant: users must be in one tenant-<name> group; machine clients must use their tenant's app client",
    );
    expect(refused(event({ claims: { sub: '', 'cognito:groups': 'tenant-acme' } })).status).toBe(403);
  });

  test('an API key id API Gateway did not issue to a tenant is not a tenant', () => {
    expect(callerOf(event({ apiKeyId: 'unknownKey', userArn: 'arn:aws:iam::1:user/x' }), directory)).toEqual({
      principal: 'iam:arn:aws:iam::1:user/x',
      kind: 'iam',
    });
  });
});

describe('tenantDirectoryFrom (the TENANTS variable)', () => {
  test('reads the directory the stack writes, and none below ground 4', () => {
    expect(tenantDirectoryFrom('{"key-1":{"tenant":"acme","tier":"premium"}}')).toEqual({ 'key-1': { tenant: 'acme', tier: 'premium' } });
    expect(tenantDirectoryFrom(undefined)).toEqual({});
  });

  test('a bad directory fails the cold start naming the field, not later as a wrong tier', () => {
    expect(() => tenantDirectoryFrom('{"key-1":{"tenant":"acme","tier":"gold"}}')).toThrow('Function environment is invalid: TENANTS.key-1.tier');
    expect(() => tenantDirectoryFrom('{')).toThrow('TENANTS is not JSON');
    expect(() => tenantDirectoryFrom('{"a":{"tenant":"acme","tier":"gold"},"b":{"tier":"basic"}}')).toThrow(
      'Function environment is invalid: TENANTS.a.tier, TENANTS.b.tenant',
    );
  });
});
