import type { APIGatewayProxyEvent } from 'aws-lambda';
import { claimValues, isFederated, TenantClaimRefused, type TenantPolicy, tenantOf, tokenGroups } from '../../lambda/tenant-claim/core';
import { callerOf } from '../../lambda/shared/identity';
import { tenantClaimEnvSchema } from '../../contracts/env';
import { readEnv } from '../../lambda/shared/env';
import { loadLambdaHandler } from '../support/prompt-handler';

const TENANTS: TenantPolicy = { tenants: ['acme', 'globex', 'Initech'], values: {} };
/** Microsoft Entra ID sends group object ids; auth.tenantValues names the ones that are tenants. */
const ACME_GROUP = '0b6f3c1e-4f7a-4d2b-9a51-1d5e2f3a4b5c';
const GLOBEX_GROUP = '7c9d2e1f-3a4b-4c5d-8e6f-9a0b1c2d3e4f';
const MAPPED: TenantPolicy = { tenants: TENANTS.tenants, values: { [ACME_GROUP]: 'acme', [GLOBEX_GROUP]: 'globex' } };

/** The reason a claim is refused for, or 'accepted'. */
function refusal(raw: string | undefined, policy: TenantPolicy = TENANTS): string {
  try {
    tenantOf(raw, policy);
    return 'accepted';
  } catch (error) {
    if (error instanceof TenantClaimRefused) return error.reason;
    throw error;
  }
}

describe('claimValues: how Cognito stores an attribute the IdP sent', () => {
  test.each([
    ['acme', ['acme']],
    ['  acme  ', ['acme']],
    ['[acme, globex]', ['acme', 'globex']], // SAML, several values
    ['["acme","globex"]', ['acme', 'globex']], // OIDC array claim
    ['["Acme Users"]', ['Acme Users']],
    ['acme,globex', ['acme', 'globex']],
    ['[acme]', ['acme']],
    ['  [acme, globex]  ', ['acme', 'globex']],
    ['tenant-acme]', ['tenant-acme]']],
    ['[tenant-acme', ['[tenant-acme']],
    ['[]', []],
    ['', []],
    ['  ', []],
    [' , ,', []],
  ])('%j → %j', (raw, values) => {
    expect(claimValues(raw)).toEqual(values);
  });

  test('no attribute at all: no values', () => {
    expect(claimValues(undefined)).toEqual([]);
  });
});

describe('tenantOf: the claim names exactly one configured tenant, or the sign-in is refused', () => {
  test('a tenant name, or our group name tenant-<name>, is that tenant, in the case it is configured with', () => {
    expect(tenantOf('acme', TENANTS)).toBe('acme');
    expect(tenantOf('tenant-globex', TENANTS)).toBe('globex');
    expect(tenantOf('ACME', TENANTS)).toBe('acme');
    expect(tenantOf('initech', TENANTS)).toBe('Initech');
    expect(tenantOf('Tenant-INITECH', TENANTS)).toBe('Initech');
  });

  test('the same tenant named twice is one tenant', () => {
    expect(tenantOf('[acme, tenant-acme, ACME]', TENANTS)).toBe('acme');
  });

  test.each([
    ['missing: no attribute', undefined, 'missing'],
    ['missing: an empty attribute', '', 'missing'],
    ['missing: an empty list', '[]', 'missing'],
    ['ambiguous: two tenants', '[acme, globex]', 'ambiguous'],
    ['ambiguous: two tenants, one by group name', 'tenant-acme,globex', 'ambiguous'],
    ['unknown: a tenant that is not configured', 'hooli', 'unknown'],
    ['unknown: a known tenant beside an unknown value', '[acme, hooli]', 'unknown'],
    ['unknown: a bracket left on the group name', 'tenant-acme]', 'unknown'],
    ['unknown: a bracket opened on the group name', '[tenant-acme', 'unknown'],
    ['unknown: a prefix of a tenant', 'acm', 'unknown'],
    ['unknown: a tenant with more around it', 'acme-admins', 'unknown'],
    ['unknown: the prefix alone', 'tenant-', 'unknown'],
    ['unknown: a name Object.prototype has', 'constructor', 'unknown'],
  ])('%s (%j) is refused', (_name, raw, reason) => {
    expect(refusal(raw)).toBe(reason);
  });

  test('with a value map: listed values name their tenant, other values are the user’s other groups and ignored', () => {
    expect(tenantOf(`[${ACME_GROUP}, 11111111-2222-3333-4444-555555555555]`, MAPPED)).toBe('acme');
    expect(tenantOf(`["${GLOBEX_GROUP}"]`, MAPPED)).toBe('globex');
    // A tenant's own name still counts beside the map.
    expect(tenantOf('[Engineering, tenant-acme]', MAPPED)).toBe('acme');
  });

  test.each([
    ['missing: none of the groups is mapped', '[Engineering, All Staff]', 'missing'],
    ['missing: a mapped id in another case (ids are matched exactly)', ACME_GROUP.toUpperCase(), 'missing'],
    ['ambiguous: groups of two tenants', `[${ACME_GROUP}, ${GLOBEX_GROUP}]`, 'ambiguous'],
    ['ambiguous: a mapped group and another tenant by name', `[${ACME_GROUP}, globex]`, 'ambiguous'],
    ['missing: a name Object.prototype has is no key of the map', '[constructor, __proto__, toString]', 'missing'],
  ])('with a value map, %s (%j) is refused', (_name, raw, reason) => {
    expect(refusal(raw, MAPPED)).toBe(reason);
  });

  test('a map entry naming a tenant that is not configured names no tenant (nor does one naming the group tenant-<name>)', () => {
    expect(refusal('g-1', { tenants: ['acme'], values: { 'g-1': 'hooli' } })).toBe('missing');
    expect(refusal('g-1', { tenants: ['acme'], values: { 'g-1': 'tenant-acme' } })).toBe('missing');
    expect(tenantOf('g-1', { tenants: ['acme'], values: { 'g-1': 'ACME' } })).toBe('acme');
  });

  test('a refusal is a TenantClaimRefused, named so in the logs', () => {
    expect(() => tenantOf('', TENANTS)).toThrow(expect.objectContaining({ name: 'TenantClaimRefused', reason: 'missing' }));
  });

  test('refusals say what is wrong without echoing unbounded input', () => {
    expect(() => tenantOf(undefined, TENANTS)).toThrow('Your identity provider sent no tenant for you; ask your administrator to assign you to one');
    expect(() => tenantOf('[acme, globex]', TENANTS)).toThrow(
      'Your identity provider names more than one tenant (acme, globex); an administrator must keep one',
    );
    expect(() => tenantOf('hooli', TENANTS)).toThrow('Your identity provider names a tenant that is not configured: "hooli"');
    const many = `[${Array.from({ length: 8 }, (_, i) => `g${i}`).join(', ')}]`;
    expect(() => tenantOf(many, MAPPED)).toThrow('None of the values your identity provider sent names a tenant: "g0", "g1", "g2", "g3", "g4" and 3 more');
    expect(() => tenantOf('x'.repeat(500), TENANTS)).toThrow(`"${'x'.repeat(64)}…"`);
    // Up to 5 values and 64 characters each are shown whole.
    const five = `[${'y'.repeat(64)}, g1, g2, g3, g4]`;
    expect(() => tenantOf(five, MAPPED)).toThrow(
      new TenantClaimRefused('missing', `None of the values your identity provider sent names a tenant: "${'y'.repeat(64)}", "g1", "g2", "g3", "g4"`),
    );
  });
});

describe('tokenGroups: the groups the tokens carry', () => {
  test('a federated user: their non-tenant groups, plus exactly the one tenant group their IdP names', () => {
    expect(tokenGroups({ federated: true, tenantClaim: 'acme', groups: ['readers'] }, TENANTS)).toEqual(['readers', 'tenant-acme']);
  });

  test('a federated user: tenant groups an administrator gave by hand are replaced by the IdP’s', () => {
    expect(tokenGroups({ federated: true, tenantClaim: 'acme', groups: ['tenant-globex', 'readers', 'tenant-acme'] }, TENANTS)).toEqual([
      'readers',
      'tenant-acme',
    ]);
  });

  test('a federated user without a tenant claim gets no tokens', () => {
    expect(() => tokenGroups({ federated: true, groups: ['tenant-acme'] }, TENANTS)).toThrow(TenantClaimRefused);
  });

  test('the pool’s own users keep their groups, and their (self-writable) attribute is not read', () => {
    expect(tokenGroups({ federated: false, tenantClaim: 'globex', groups: ['tenant-acme'] }, TENANTS)).toBeUndefined();
    expect(tokenGroups({ federated: false, tenantClaim: '[acme, globex]', groups: [] }, TENANTS)).toBeUndefined();
  });

  test('isFederated: from what Cognito sets (status EXTERNAL_PROVIDER, identities), never from what a user could write', () => {
    expect(isFederated({ 'cognito:user_status': 'EXTERNAL_PROVIDER' })).toBe(true);
    expect(isFederated({ identities: '[{"userId":"u1","providerName":"Corp","providerType":"SAML"}]' })).toBe(true);
    expect(isFederated({ 'cognito:user_status': 'CONFIRMED' })).toBe(false);
    expect(isFederated({ 'cognito:user_status': 'CONFIRMED', 'custom:tenant': 'acme', identities: '' })).toBe(false);
    expect(isFederated({})).toBe(false);
    expect(isFederated({ identities: '[]' })).toBe(false);
    expect(isFederated({ identities: 'Corp' })).toBe(false);
  });
});

describe('the trigger handler (V2_0 event) and the API reading its result', () => {
  const ENV = { TENANT_NAMES: JSON.stringify(['acme', 'globex']), TENANT_VALUES: JSON.stringify({ [ACME_GROUP]: 'acme' }) };
  type Handler = (event: unknown) => Promise<{ response: { claimsAndScopeOverrideDetails: unknown } }>;
  let handler: Handler;
  beforeAll(() => {
    handler = loadLambdaHandler<Handler>('tenant-claim/handler', ENV);
  });
  afterAll(() => {
    for (const key of Object.keys(ENV)) delete process.env[key];
  });

  const event = (userAttributes: Record<string, string>, groups: string[] = []) => ({
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    region: 'us-east-1',
    userPoolId: 'us-east-1_Example1',
    userName: 'Corp_jdoe',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'userClient' },
    request: {
      userAttributes: { sub: 'u-1', ...userAttributes },
      groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [], preferredRole: null },
      scopes: ['openid', 'genai/invoke'],
    },
    response: { claimsAndScopeOverrideDetails: null },
  });
  const federated = (claim: string) => ({ 'cognito:user_status': 'EXTERNAL_PROVIDER', 'custom:tenant': claim });

  test('the contract schema reads the environment the construct writes', () => {
    expect(readEnv(tenantClaimEnvSchema, ENV)).toEqual({ TENANT_NAMES: ['acme', 'globex'], TENANT_VALUES: { [ACME_GROUP]: 'acme' } });
    expect(() => readEnv(tenantClaimEnvSchema, { ...ENV, TENANT_NAMES: '[]' })).toThrow('Function environment is invalid: TENANT_NAMES');
  });

  test('a federated user: the group override, which the API then reads as the tenant', async () => {
    const result = await handler(event(federated(`[Engineering, ${ACME_GROUP}]`), ['readers']));
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      groupOverrideDetails: { groupsToOverride: ['readers', 'tenant-acme'], iamRolesToOverride: [] },
    });
    // API Gateway hands the access token's cognito:groups to the function as one string.
    const groups = (result.response.claimsAndScopeOverrideDetails as { groupOverrideDetails: { groupsToOverride: string[] } }).groupOverrideDetails
      .groupsToOverride;
    const apiEvent = {
      requestContext: { authorizer: { claims: { sub: 'u-1', 'cognito:groups': `[${groups.join(' ')}]` } } },
    } as unknown as APIGatewayProxyEvent;
    expect(callerOf(apiEvent, { clientAcme: { tenant: 'acme', tier: 'basic' } })).toMatchObject({ principal: 'user:u-1', kind: 'user', tenant: 'acme' });
  });

  test('the pool’s own user: no override, whatever their attribute says', async () => {
    const result = await handler(event({ 'cognito:user_status': 'CONFIRMED', 'custom:tenant': 'globex' }, ['tenant-acme']));
    expect(result.response.claimsAndScopeOverrideDetails).toBeNull();
  });

  test.each([
    ['no tenant claim', {}, 'Your identity provider sent no tenant for you'],
    ['two tenants', { 'custom:tenant': `[${ACME_GROUP}, globex]` }, 'Your identity provider names more than one tenant (acme, globex)'],
    ['no mapped value', { 'custom:tenant': '[Engineering]' }, 'None of the values your identity provider sent names a tenant'],
  ])('fails the sign-in when a federated user has %s', async (_name, attributes, message) => {
    await expect(handler(event({ 'cognito:user_status': 'EXTERNAL_PROVIDER', ...attributes }))).rejects.toThrow(message);
  });

  test('fails closed on an event it cannot read', async () => {
    await expect(handler({ triggerSource: 'TokenGeneration_HostedAuth' })).rejects.toThrow('the token trigger could not read the sign-in event');
    await expect(handler(null)).rejects.toThrow('the token trigger could not read the sign-in event');
  });
});
