/**
 * The `auth` section (lib/config/auth.ts: ground 7's sign-in, corporate SAML/OIDC providers, a user
 * pool brought with its id) read through loadConfig, with nothing but lib/config loaded
 * (stryker.config.mjs UNIT_TESTS). Every refusal is compared whole: key, value and what is allowed.
 */
import { NOT_SHOWN, shownValue } from '../../lib/config/auth';
import { ConfigError } from '../../lib/config/errors';
import { loadConfig } from '../../lib/config/schema';

const tenant = (name: string) => ({ name, tier: 'basic', quotaPerDay: 1, rateLimit: 1, burstLimit: 1 });
const TENANTS = [tenant('acme'), tenant('globex')];

/** The lines of the ConfigError that loadConfig throws for this context (tenants acme and globex). */
function contextProblems(context: Record<string, unknown>): string[] {
  try {
    loadConfig({ tenants: TENANTS, ...context });
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n  - ').slice(1);
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(context)}`);
}

/** The lines of the ConfigError that loadConfig throws for this `auth` section. */
const problems = (auth: Record<string, unknown>) => contextProblems({ auth });

const load = (auth: Record<string, unknown>) => loadConfig({ tenants: TENANTS, auth }).auth;

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:okta-client-AbCdEf';
const SAML = { type: 'saml', name: 'Entra', tenantClaim: 'groups', metadataUrl: 'https://login.example.com/federationmetadata.xml' };
const OIDC = { type: 'oidc', name: 'Okta', tenantClaim: 'groups', issuer: 'https://acme.okta.com', clientId: '0oa1b2c3', clientSecretArn: SECRET_ARN };

/** The problems of one identity provider, given as `auth.identityProviders[0]`. */
const providerProblems = (idp: Record<string, unknown>) => problems({ identityProviders: [idp] });
const at = (key: string) => `auth.identityProviders.0.${key}`;

describe('auth defaults', () => {
  test('a created pool, the localhost callback, one-hour tokens, no identity providers, local sign-in on', () => {
    expect(loadConfig({}).auth).toEqual({
      callbackUrls: ['http://localhost:3000/callback'],
      tokenValidityMinutes: 60,
      identityProviders: [],
      tenantValues: {},
      localSignIn: true,
    });
  });

  test('every key given is kept as given', () => {
    const auth = {
      callbackUrls: ['https://app.example.com/callback', 'http://localhost:8080/cb'],
      domainPrefix: 'genai-acme',
      tokenValidityMinutes: 120,
      userPoolId: 'eu-west-1_AbCdEf123',
      identityProviders: [SAML, { ...OIDC, emailClaim: 'mail', clientSecretField: 'client_secret', scopes: ['openid', 'email'] }],
      tenantValues: { 'a1b2-group-id': 'acme', 'Globex Admins': 'globex' },
      localSignIn: false,
    };
    expect(load(auth)).toEqual(auth);
  });
});

describe('callbackUrls', () => {
  test.each([['https://app.example.com/callback'], ['http://localhost'], ['http://localhost:3000'], ['http://localhost/cb'], ['https://x']])(
    'takes %j',
    (url) => {
      expect(load({ callbackUrls: [url] }).callbackUrls).toEqual([url]);
    },
  );

  test.each([
    'http://app.example.com/callback',
    'https://',
    'https://app.example.com/a b',
    'http://localhost.example.com',
    'http://localhost:port',
    'xhttps://app.example.com',
    'HTTPS://app.example.com',
  ])('refuses %j', (url) => {
    expect(problems({ callbackUrls: [url] })).toEqual([`auth.callbackUrls.0 = ${JSON.stringify(url)}: must be an https URL or http://localhost`]);
  });

  test('1 to 10 of them', () => {
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://app${i}.example.com/cb`);
    expect(load({ callbackUrls: urls(10) }).callbackUrls).toHaveLength(10);
    expect(problems({ callbackUrls: [] })).toEqual(['auth.callbackUrls = []: Too small: expected array to have >=1 items']);
    expect(problems({ callbackUrls: urls(11) })).toEqual([`auth.callbackUrls = ${JSON.stringify(urls(11))}: Too big: expected array to have <=10 items`]);
  });
});

describe('domainPrefix', () => {
  test.each(['a', 'a1', 'genai-acme', '0-9', 'a'.repeat(63)])('takes %j', (prefix) => {
    expect(load({ domainPrefix: prefix }).domainPrefix).toBe(prefix);
  });

  test.each(['', 'Acme', '-acme', 'acme-', 'ac_me', 'a'.repeat(64), 'ac me'])('refuses %j', (prefix) => {
    expect(problems({ domainPrefix: prefix })).toEqual([`auth.domainPrefix = ${JSON.stringify(prefix)}: must be 1-63 lowercase letters, digits or hyphens`]);
  });

  test.each(['aws', 'my-aws-app', 'amazonia', 'acme-cognito'])('refuses %j, which holds a name Cognito reserves', (prefix) => {
    expect(problems({ domainPrefix: prefix })).toEqual([`auth.domainPrefix = ${JSON.stringify(prefix)}: must not contain aws, amazon or cognito`]);
  });
});

describe('tokenValidityMinutes', () => {
  test.each([5, 1_440])('takes %j', (minutes) => {
    expect(load({ tokenValidityMinutes: minutes }).tokenValidityMinutes).toBe(minutes);
  });

  test.each([
    [4, 'Too small: expected number to be >=5'],
    [1_441, 'Too big: expected number to be <=1440'],
    [60.5, 'Invalid input: expected int, received number'],
  ])('refuses %j', (minutes, message) => {
    expect(problems({ tokenValidityMinutes: minutes })).toEqual([`auth.tokenValidityMinutes = ${minutes}: ${message}`]);
  });
});

describe('userPoolId: a pool brought with its domain', () => {
  test.each(['us-east-1_AbCdEf123', 'eu-central-2_x', `us-east-1_${'a'.repeat(45)}`])('takes %j with the prefix of its domain', (id) => {
    expect(load({ userPoolId: id, domainPrefix: 'acme' })).toMatchObject({ userPoolId: id, domainPrefix: 'acme' });
  });

  test.each(['us-east-1', 'us-east-1_', '_AbC', 'us east-1_AbC', 'us-east-1_Ab-C', 'xus-east-1_AbC!'])('refuses %j', (id) => {
    expect(problems({ userPoolId: id, domainPrefix: 'acme' })).toEqual([
      `auth.userPoolId = ${JSON.stringify(id)}: must be a Cognito user pool id (<region>_<id>, e.g. us-east-1_AbCdEf123)`,
    ]);
  });

  test('refuses an id longer than 55 characters', () => {
    const id = `us-east-1_${'a'.repeat(46)}`;
    expect(problems({ userPoolId: id, domainPrefix: 'acme' })).toEqual([`auth.userPoolId = "${id}": Too big: expected string to have <=55 characters`]);
  });

  test('refuses a pool without the prefix of its domain', () => {
    expect(problems({ userPoolId: 'us-east-1_AbCdEf123' })).toEqual([
      'auth.domainPrefix = (default): is required with auth.userPoolId: the prefix of the Cognito domain the pool already has (a pool has one)',
    ]);
  });
});

describe('identity providers', () => {
  test('SAML from the metadata URL or the document itself', () => {
    const document = '  <?xml version="1.0"?><EntityDescriptor/>';
    expect(load({ identityProviders: [SAML] }).identityProviders).toEqual([SAML]);
    const { metadataUrl: _url, ...inline } = { ...SAML, metadataDocument: document };
    expect(load({ identityProviders: [inline] }).identityProviders).toEqual([inline]);
  });

  test('OIDC with its issuer, client id and the ARN of its secret', () => {
    expect(load({ identityProviders: [OIDC] }).identityProviders).toEqual([OIDC]);
  });

  test('at most 10', () => {
    const idps = (n: number) => Array.from({ length: n }, (_, i) => ({ ...SAML, name: `Idp${i}` }));
    expect(load({ identityProviders: idps(10) }).identityProviders).toHaveLength(10);
    expect(problems({ identityProviders: idps(11) })).toEqual([
      `auth.identityProviders = ${JSON.stringify(idps(11))}: Too big: expected array to have <=10 items`,
    ]);
  });

  test('a type that is neither', () => {
    expect(providerProblems({ ...SAML, type: 'oauth2' })).toEqual([`${at('type')} = "oauth2": Invalid option: expected one of "saml"|"oidc"`]);
  });

  test('an unknown key is named with the keys allowed', () => {
    expect(providerProblems({ ...SAML, metadataURL: SAML.metadataUrl })).toEqual([
      "unknown key 'auth.identityProviders.0.metadataURL'; allowed: type, name, tenantClaim, emailClaim, metadataUrl, metadataDocument, issuer, " +
        'clientId, clientSecretArn, clientSecretField, scopes',
    ]);
  });

  describe('name', () => {
    test.each(['Abc', 'a'.repeat(32), 'Corp.SSO-1', '1dp', 'Googles', 'my-google'])('takes %j', (name) => {
      expect(load({ identityProviders: [{ ...SAML, name }] }).identityProviders[0].name).toBe(name);
    });

    test.each(['ab', 'a'.repeat(33), '-abc', 'abc-', '.abc', 'abc.', 'ab_c', 'ab c', 'abc!'])('refuses %j', (name) => {
      expect(providerProblems({ ...SAML, name })).toEqual([
        `${at('name')} = ${JSON.stringify(name)}: must be 3-32 letters, digits, dots or hyphens, starting and ending with a letter or digit`,
      ]);
    });

    test.each(['cognito', 'Google', 'FACEBOOK', 'SignInWithApple', 'LoginWithAmazon'])('refuses %j, a name Cognito reserves (any case)', (name) => {
      expect(providerProblems({ ...SAML, name })).toEqual([
        `${at('name')} = ${JSON.stringify(name)}: must not be one of Cognito's reserved names (cognito, google, facebook, signinwithapple, loginwithamazon)`,
      ]);
    });

    test('names that differ beyond case are no repeat, even where upper case would make them one (ß, SS)', () => {
      expect(
        problems({
          identityProviders: [
            { ...SAML, name: 'STRASSE' },
            { ...OIDC, name: 'Straße' },
          ],
        }),
      ).toEqual(['auth.identityProviders.1.name = "Straße": must be 3-32 letters, digits, dots or hyphens, starting and ending with a letter or digit']);
    });

    test('unique among the providers, case-insensitive', () => {
      expect(problems({ identityProviders: [SAML, { ...OIDC, name: 'Okta' }, { ...SAML, name: 'ENTRA' }, { ...OIDC, name: 'okta' }] })).toEqual([
        'auth.identityProviders.2.name = "ENTRA": must be unique among the identity providers (case-insensitive)',
        'auth.identityProviders.3.name = "okta": must be unique among the identity providers (case-insensitive)',
      ]);
    });
  });

  describe('claims', () => {
    const microsoft = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
    test.each(['tenantClaim', 'emailClaim'])('%s: 1-256 characters without spaces', (key) => {
      for (const claim of ['g', microsoft, 'x'.repeat(256)]) {
        expect(load({ identityProviders: [{ ...SAML, [key]: claim }] }).identityProviders[0]).toMatchObject({ [key]: claim });
      }
      for (const claim of ['', 'my groups', ' groups', 'groups\t', 'x'.repeat(257)]) {
        expect(providerProblems({ ...SAML, [key]: claim })).toEqual([`${at(key)} = ${JSON.stringify(claim)}: must be 1-256 characters without spaces`]);
      }
    });

    test('the tenant claim is required, the email claim is not', () => {
      const { tenantClaim: _claim, ...without } = SAML;
      expect(providerProblems(without)).toEqual([`${at('tenantClaim')} = (default): Invalid input: expected string, received undefined`]);
    });
  });

  describe('SAML', () => {
    test('exactly one of metadataUrl and metadataDocument', () => {
      const { metadataUrl: _url, ...neither } = SAML;
      const message = 'a SAML provider needs exactly one of metadataUrl and metadataDocument';
      expect(providerProblems(neither)).toEqual([`${at('metadataUrl')} = (default): ${message}`]);
      expect(providerProblems({ ...SAML, metadataDocument: '<EntityDescriptor/>' })).toEqual([
        `${at('metadataUrl')} = ${JSON.stringify(SAML.metadataUrl)}: ${message}`,
      ]);
    });

    test.each([
      'http://login.example.com/metadata.xml',
      'ftp://login.example.com/metadata.xml',
      'httpsx://login.example.com/metadata.xml',
      'login.example.com/metadata.xml',
      'xhttps://a.example.com',
    ])('refuses the metadata URL %j', (url) => {
      expect(providerProblems({ ...SAML, metadataUrl: url })).toEqual([`${at('metadataUrl')} = ${JSON.stringify(url)}: must be an https URL`]);
    });

    test('the metadata document: the XML itself, at most 128 KiB', () => {
      const { metadataUrl: _url, ...inline } = SAML;
      const big = `<${'x'.repeat(131_071)}`;
      expect(load({ identityProviders: [{ ...inline, metadataDocument: big }] }).identityProviders[0].metadataDocument).toBe(big);
      expect(providerProblems({ ...inline, metadataDocument: `${big}x` })).toEqual([
        `${at('metadataDocument')} = ${JSON.stringify(`${big}x`)}: Too big: expected string to have <=131072 characters`,
      ]);
      for (const document of ['https://login.example.com/metadata.xml', 'x<EntityDescriptor/>', '']) {
        expect(providerProblems({ ...inline, metadataDocument: document })).toEqual([
          `${at('metadataDocument')} = ${JSON.stringify(document)}: must be the XML metadata document itself (it starts with <)`,
        ]);
      }
    });

    test('OIDC keys are refused on a SAML provider, each named', () => {
      const oidcKeys = { issuer: OIDC.issuer, clientId: OIDC.clientId, clientSecretArn: SECRET_ARN, clientSecretField: 'secret', scopes: ['openid'] };
      expect(providerProblems({ ...SAML, ...oidcKeys })).toEqual(
        Object.entries(oidcKeys).map(([key, value]) => `${at(key)} = ${JSON.stringify(value)}: is for oidc providers only; this one is saml`),
      );
    });
  });

  describe('OIDC', () => {
    test('issuer, client id and the secret ARN are required, each named', () => {
      expect(providerProblems({ type: 'oidc', name: 'Okta', tenantClaim: 'groups' })).toEqual([
        `${at('issuer')} = (default): is required for an OIDC provider: the https URL of its issuer`,
        `${at('clientId')} = (default): is required for an OIDC provider: the client id Cognito uses at the IdP`,
        `${at('clientSecretArn')} = (default): is required for an OIDC provider: the ARN of the Secrets Manager secret holding the client secret`,
      ]);
    });

    test('SAML keys are refused on an OIDC provider, each named', () => {
      expect(providerProblems({ ...OIDC, metadataUrl: SAML.metadataUrl, metadataDocument: '<x/>' })).toEqual([
        `${at('metadataUrl')} = ${JSON.stringify(SAML.metadataUrl)}: is for saml providers only; this one is oidc`,
        `${at('metadataDocument')} = "<x/>": is for saml providers only; this one is oidc`,
      ]);
    });

    test.each(['http://acme.okta.com', 'acme.okta.com', 'wss://acme.okta.com', 'https2://acme.okta.com', 'xhttps://acme.okta.com'])(
      'refuses the issuer %j',
      (issuer) => {
        expect(providerProblems({ ...OIDC, issuer })).toEqual([`${at('issuer')} = ${JSON.stringify(issuer)}: must be the https URL of the OIDC issuer`]);
      },
    );

    test('the client id: 1-256 characters without spaces', () => {
      expect(load({ identityProviders: [{ ...OIDC, clientId: 'c'.repeat(256) }] }).identityProviders[0].clientId).toBe('c'.repeat(256));
      for (const id of ['', 'client id', 'c'.repeat(257)]) {
        expect(providerProblems({ ...OIDC, clientId: id })).toEqual([`${at('clientId')} = ${JSON.stringify(id)}: must be 1-256 characters without spaces`]);
      }
    });

    test.each([
      SECRET_ARN,
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:okta-client',
      'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:idp/okta.client+1=@_-x',
      'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:o',
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${'s'.repeat(512)}`,
    ])('takes the secret ARN %j', (arn) => {
      expect(load({ identityProviders: [{ ...OIDC, clientSecretArn: arn }] }).identityProviders[0].clientSecretArn).toBe(arn);
    });

    const NOT_AN_ARN = 'must be the ARN of the Secrets Manager secret holding the client secret (arn:aws:secretsmanager:...), never the secret itself';
    test.each([
      'okta-client',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/okta',
      'arn:aws:secretsmanager:eu-west-1:12345678901:secret:okta',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:',
      'arn:aws:secretsmanager:EU-WEST-1:123456789012:secret:okta',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:okta client',
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${'s'.repeat(513)}`,
      'xarn:aws:secretsmanager:eu-west-1:123456789012:secret:okta',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:okta\n',
    ])('refuses %j as the secret ARN, naming the key and what it takes', (value) => {
      const [line, ...more] = providerProblems({ ...OIDC, clientSecretArn: value });
      expect(more).toEqual([]);
      expect(line.startsWith(`${at('clientSecretArn')} = `)).toBe(true);
      expect(line.endsWith(`: ${NOT_AN_ARN}`)).toBe(true);
    });

    test.each(['client_secret', 'a', 'a.b-c', 'x'.repeat(128)])('takes the secret field %j', (field) => {
      expect(load({ identityProviders: [{ ...OIDC, clientSecretField: field }] }).identityProviders[0].clientSecretField).toBe(field);
    });

    test.each(['', 'client secret', 'a/b', 'x'.repeat(129)])('refuses the secret field %j', (field) => {
      expect(providerProblems({ ...OIDC, clientSecretField: field })).toEqual([
        `${at('clientSecretField')} = ${JSON.stringify(field)}: must be 1-128 letters, digits, dots, underscores or hyphens`,
      ]);
    });

    test('scopes: 1 to 25, openid among them, printable without spaces or quotes', () => {
      const scopes = ['openid', '!', '~', '#tag', '[x]', 'aws.cognito.signin.user.admin', 's'.repeat(256)];
      expect(load({ identityProviders: [{ ...OIDC, scopes }] }).identityProviders[0].scopes).toEqual(scopes);
      const many = ['openid', ...Array.from({ length: 24 }, (_, i) => `s${i}`)];
      expect(load({ identityProviders: [{ ...OIDC, scopes: many }] }).identityProviders[0].scopes).toEqual(many);
      expect(providerProblems({ ...OIDC, scopes: [...many, 'x'] })).toEqual([
        `${at('scopes')} = ${JSON.stringify([...many, 'x'])}: Too big: expected array to have <=25 items`,
      ]);
      expect(providerProblems({ ...OIDC, scopes: [] })).toEqual([
        `${at('scopes')} = []: Too small: expected array to have >=1 items`,
        `${at('scopes')} = []: must include openid`,
      ]);
      expect(providerProblems({ ...OIDC, scopes: ['email', 'profile'] })).toEqual([`${at('scopes')} = ["email","profile"]: must include openid`]);
      for (const scope of ['', 'my scope', '"quoted"', 'back\\slash', 'tab\t', 'é', 's'.repeat(257)]) {
        expect(providerProblems({ ...OIDC, scopes: ['openid', scope] })).toEqual([
          `${at('scopes.1')} = ${JSON.stringify(scope)}: must be an OAuth scope (printable characters, no spaces or quotes)`,
        ]);
      }
    });
  });
});

describe('tenantValues: IdP claim values that name a tenant', () => {
  test('taken with an identity provider, each naming a configured tenant', () => {
    const tenantValues = { 'a1b2c3-group': 'acme', [`g${'x'.repeat(2_047)}`]: 'globex' };
    expect(load({ identityProviders: [SAML], tenantValues }).tenantValues).toEqual(tenantValues);
  });

  test('refuses a value naming a tenant that is not configured, listing the tenants', () => {
    expect(problems({ identityProviders: [SAML], tenantValues: { admins: 'acme', sales: 'initech' } })).toEqual([
      'auth.tenantValues.sales = "initech": names tenant initech, which is not configured; tenants: acme, globex',
    ]);
  });

  test('refuses tenant values without an identity provider to read them', () => {
    expect(problems({ tenantValues: { admins: 'acme' } })).toEqual([
      'auth.tenantValues = {"admins":"acme"}: is only read for users of identity providers, and auth.identityProviders is empty',
    ]);
  });

  test('refuses a value that is no tenant name', () => {
    expect(problems({ identityProviders: [SAML], tenantValues: { admins: 'Acme Corp' } })).toEqual([
      'auth.tenantValues.admins = "Acme Corp": must be a tenant name',
      'auth.tenantValues.admins = "Acme Corp": names tenant Acme Corp, which is not configured; tenants: acme, globex',
    ]);
  });
});

describe('localSignIn', () => {
  test('off: only the identity providers sign people in', () => {
    expect(load({ identityProviders: [SAML], localSignIn: false }).localSignIn).toBe(false);
    expect(problems({ localSignIn: 'no' })).toEqual(['auth.localSignIn = "no": Invalid input: expected boolean, received string']);
  });
});

describe('a client secret pasted where its ARN belongs is never printed', () => {
  const SECRET = 'Sup3r-S3cret_client~value';

  test('alone: the key is shown, the value is not', () => {
    expect(shownValue('clientSecretArn', SECRET)).toBe('(not shown)');
    expect(NOT_SHOWN).toBe('(not shown)');
    expect(shownValue('clientSecretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:')).toBe(NOT_SHOWN);
    expect(shownValue('clientSecretArn', 123456)).toBe(NOT_SHOWN);
  });

  test('inside the provider or the list that holds it, next to values that are shown', () => {
    const pasted = { ...OIDC, clientSecretArn: SECRET };
    expect(shownValue(0, pasted)).toBe(JSON.stringify({ ...OIDC, clientSecretArn: NOT_SHOWN }));
    expect(shownValue('identityProviders', [SAML, pasted, OIDC])).toBe(JSON.stringify([SAML, { ...OIDC, clientSecretArn: NOT_SHOWN }, OIDC]));
    expect(shownValue('auth', { identityProviders: [{ clientSecretArn: { value: SECRET } }] })).toBe(
      `{"identityProviders":[{"clientSecretArn":"${NOT_SHOWN}"}]}`,
    );
  });

  test('nor inside JSON text: given where a list belongs, or not JSON at all', () => {
    const text = JSON.stringify([{ ...OIDC, clientSecretArn: SECRET }]);
    expect(shownValue('identityProviders', text)).toBe(NOT_SHOWN);
    expect(shownValue('identityProviders', text.slice(0, -2))).toBe(NOT_SHOWN);
    expect(shownValue('auth', { identityProviders: text })).toBe(`{"identityProviders":"${NOT_SHOWN}"}`);
  });

  test('loadConfig refuses it naming the key and what the key takes, and prints no secret', () => {
    const NOT_AN_ARN = 'must be the ARN of the Secrets Manager secret holding the client secret (arn:aws:secretsmanager:...), never the secret itself';
    const pasted = { ...OIDC, clientSecretArn: SECRET };
    expect(providerProblems(pasted)).toEqual([`${at('clientSecretArn')} = (not shown): ${NOT_AN_ARN}`]);
    // A list refused whole (11 providers) does not print it either, nor does JSON text that is not a list, or not JSON.
    const eleven = [pasted, ...Array.from({ length: 10 }, (_, i) => ({ ...SAML, name: `Idp${i}` }))];
    expect(contextProblems({ 'auth.identityProviders': JSON.stringify(eleven) })).toEqual([
      `auth.identityProviders = ${JSON.stringify([{ ...OIDC, clientSecretArn: NOT_SHOWN }, ...eleven.slice(1)])}: Too big: expected array to have <=10 items`,
    ]);
    const asText = problems({ identityProviders: JSON.stringify([pasted]) });
    expect(asText[0]).toBe(`auth.identityProviders = ${NOT_SHOWN}: Invalid input: expected array, received string`);
    expect(asText.join('\n')).not.toContain(SECRET);
    const [unquoted] = contextProblems({ 'auth.identityProviders': `[{"clientSecretArn": ${SECRET}}]` });
    expect(unquoted).toBe(
      `auth.identityProviders = ${NOT_SHOWN}: is not valid JSON; auth.identityProviders takes a JSON array: -c auth.identityProviders='["...", ...]'`,
    );
    const [broken] = contextProblems({ 'auth.identityProviders': JSON.stringify([pasted]).slice(0, -1) });
    expect(broken).toMatch(/^auth\.identityProviders = \(not shown\): is not valid JSON; auth\.identityProviders takes a JSON array/);
    expect(broken).not.toContain(SECRET);
  });

  test('a Secrets Manager ARN, and every other value, are printed as JSON', () => {
    expect(shownValue('clientSecretArn', SECRET_ARN)).toBe(JSON.stringify(SECRET_ARN));
    expect(shownValue('clientId', SECRET)).toBe(JSON.stringify(SECRET));
    expect(shownValue(undefined, { clientSecret: SECRET, n: 1 })).toBe(JSON.stringify({ clientSecret: SECRET, n: 1 }));
    expect(shownValue(3, [1, 'two', null])).toBe('[1,"two",null]');
  });
});
