import { reviewStack, type CfnTemplate } from '../../review/model';
import { costSheet, costSheetMarkdown, DECK_DOCUMENT_ASSUMPTIONS, documentCost, predictionOptions } from '../../review/cost';
import { costAssumptionsSchema, DEFAULT_ASSUMPTIONS } from '../../review/assumptions';
import { modelPrices, PRICES, sagemakerInstancePrice, type Price } from '../../review/prices';
import { costReport } from '../../review/cost-cli';

/**
 * Cost sheets from templates built in memory, shaped like the grounds' (each resource carries the
 * `aws:cdk:path` that places it in its block), so a test can change one count and see the figure move.
 */

const at = (stack: string, cdkPath: string) => ({ 'aws:cdk:path': `${stack}/${cdkPath}` });

function apiRoute(stack: string): CfnTemplate['Resources'] {
  return {
    PromptFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: { MemorySize: 1024, Architectures: ['arm64'] },
      Metadata: at(stack, 'ModelCall/PromptFunction/Resource'),
    },
    PromptMethod: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'POST',
        Integration: { Uri: { 'Fn::Join': ['', ['arn:', { 'Fn::GetAtt': ['PromptFunction', 'Arn'] }, '/invocations']] } },
      },
      Metadata: at(stack, 'Api/Api/Default/prompt/POST/Resource'),
    },
  };
}

function ground0(): CfnTemplate {
  return { Resources: { ...apiRoute('Ground0-ModelCall') } };
}

function ground4(rules = 4): CfnTemplate {
  const s = 'Ground4-Gateway';
  return {
    Resources: {
      ...apiRoute(s),
      WebAcl: {
        Type: 'AWS::WAFv2::WebACL',
        Properties: { Scope: 'REGIONAL', Rules: Array.from({ length: rules }, (_, i) => ({ Name: `Rule${i}`, Priority: i })) },
        Metadata: at(s, 'Gateway/WebAcl'),
      },
      Guardrail: {
        Type: 'AWS::Bedrock::Guardrail',
        Properties: { ContentPolicyConfig: {}, TopicPolicyConfig: {}, SensitiveInformationPolicyConfig: { PiiEntitiesConfig: [{ Type: 'EMAIL' }] } },
        Metadata: at(s, 'Guardrail/Guardrail'),
      },
    },
  };
}

function ground5(azs = 2): CfnTemplate {
  const s = 'Ground5-Caches';
  const subnets = Object.fromEntries(
    Array.from({ length: azs }, (_, i) => [
      `Subnet${i}`,
      { Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: { 'Fn::Select': [i, { 'Fn::GetAZs': '' }] } }, Metadata: at(s, `Network/Vpc/Subnet${i}`) },
    ]),
  );
  const subnetIds = Object.keys(subnets).map((id) => ({ Ref: id }));
  const endpoint = (service: string) => ({
    Type: 'AWS::EC2::VPCEndpoint',
    Properties: { ServiceName: service, VpcEndpointType: 'Interface', SubnetIds: subnetIds },
    Metadata: at(s, `Network/Vpc/${service}Endpoint/Resource`),
  });
  return {
    Resources: {
      ...ground4().Resources,
      ...subnets,
      RuntimeEndpoint: endpoint('bedrock-runtime'),
      AgentRuntimeEndpoint: endpoint('bedrock-agent-runtime'),
      AgentEndpoint: endpoint('bedrock-agent'),
      S3Endpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' }, Metadata: at(s, 'Network/Vpc/S3Endpoint/Resource') },
      Cache: { Type: 'AWS::ElastiCache::ServerlessCache', Properties: { Engine: 'valkey', SubnetIds: subnetIds }, Metadata: at(s, 'Cache/Cache') },
    },
  };
}

const idleItem = (id: string, template: CfnTemplate, item: string) =>
  costSheet(reviewStack(id, template), DEFAULT_ASSUMPTIONS).idle.find((l) => l.item === item);

describe('the deck table', () => {
  // The seed deck: 1M pages a month at ~676 words a page. Textract 1,500 USD (1x), Nova Pro 2,689 (~2x), Claude Sonnet 11,600 (~8x).
  test.each([
    ['textract', 1_500],
    ['nova-pro', 2_689],
    ['claude-sonnet-4-5', 11_600],
  ])('%s comes within 15%% of the deck (%d USD) with the stated assumptions', (target, deck) => {
    const usd = documentCost(target, DECK_DOCUMENT_ASSUMPTIONS).usd;
    expect(Math.abs(usd - deck) / deck).toBeLessThan(0.15);
  });

  test('the assumptions matter: image input (1,600 tokens a page) moves Claude Sonnet far from the deck', () => {
    const usd = documentCost('claude-sonnet-4-5', { ...DECK_DOCUMENT_ASSUMPTIONS, input: 'image' }).usd;
    expect(Math.abs(usd - 11_600) / 11_600).toBeGreaterThan(0.15);
  });

  test('fails when the target is neither textract nor a text model of the catalog', () => {
    expect(() => documentCost('titan-embed-text-v2', DECK_DOCUMENT_ASSUMPTIONS)).toThrow(/neither textract nor a text model/);
    expect(() => documentCost('gpt-9', DECK_DOCUMENT_ASSUMPTIONS)).toThrow(/"gpt-9"/);
  });

  test('npm run cost prints the three rows and the predictive-ML comparison', () => {
    const report = costReport([]);
    expect(report).toMatch(/Amazon Textract detect-text\s+1,500\s+1\.0x/);
    expect(report).toMatch(/Amazon Nova Pro\s+2,704\s+1\.8x/);
    expect(report).toMatch(/Claude Sonnet 4\.5\s+12,168\s+8\.1x/);
    expect(report).toMatch(/SageMaker, Serverless Inference/);
    expect(report).toMatch(/SageMaker, real-time endpoint 1 × ml\.m5\.large/);
  });

  test('a wrong flag names the flag, the value and what is allowed; --help lists every flag with its default', () => {
    expect(() => costReport(['--input', 'fax'])).toThrow('--input "fax": Invalid option: expected one of "text"|"image"');
    expect(() => costReport(['--pages=-3'])).toThrow('--pages "-3": Too small: expected number to be >=0');
    expect(() => costReport(['--nope'])).toThrow("Unknown option '--nope'");
    const usage = costReport(['--help']);
    expect(usage).toContain('--words-per-page   default 676');
    expect(usage).toContain('--region           default us-east-1');
  });
});

describe('predictive ML against a foundation model', () => {
  const base = {
    predictionsPerMonth: 1_000_000,
    trainingRunsPerMonth: 4,
    trainingMinutes: 30,
    trainingInstanceType: 'ml.m5.large',
    endpointInstanceType: 'ml.m5.large',
    endpointInstanceCount: 1,
    serverlessMemoryMb: 2048,
    endpointMs: 100,
    bytesPerPrediction: 2_000,
    promptOverheadTokens: 200,
    tokensPerFeature: 15,
    features: 8,
    outputTokens: 5,
    region: 'us-east-1' as const,
  };

  test('the instance endpoint costs its hours whatever the volume; the model route scales with predictions', () => {
    const [, instance, fm] = predictionOptions(['claude-sonnet-4-5'], base);
    const [, instanceTenfold, fmTenfold] = predictionOptions(['claude-sonnet-4-5'], { ...base, predictionsPerMonth: 10_000_000 });
    const training = 4 * 0.5 * sagemakerInstancePrice('ml.m5.large').usd['us-east-1'];
    expect(instance.usd).toBeCloseTo(training + 730 * sagemakerInstancePrice('ml.m5.large').usd['us-east-1'], 6);
    expect(instanceTenfold.usd).toBeCloseTo(instance.usd, 6);
    expect(fmTenfold.usd).toBeCloseTo(fm.usd * 10, 6);
  });

  test('fails naming an instance type the price table does not know', () => {
    expect(() => predictionOptions([], { ...base, endpointInstanceType: 'ml.x9.huge' })).toThrow(/ml\.x9\.huge/);
  });
});

describe('idle floor', () => {
  test('ground 4 includes the WAF web ACL and its rule count read from the template', () => {
    const acl = idleItem('Ground4-Gateway', ground4(4), 'WAF web ACLs');
    const rules = idleItem('Ground4-Gateway', ground4(4), 'WAF rules');
    expect(acl?.usd).toBe(PRICES.wafWebAcl.usd['us-east-1']);
    expect(rules?.counted).toBe('4 rules in 1 web ACL');
    expect(rules?.usd).toBe(4 * PRICES.wafRule.usd['us-east-1']);
    const more = idleItem('Ground4-Gateway', ground4(7), 'WAF rules');
    expect(more?.usd).toBe(7 * PRICES.wafRule.usd['us-east-1']);
    const floor = (rules: number) => costSheet(reviewStack('Ground4-Gateway', ground4(rules)), DEFAULT_ASSUMPTIONS).idleMonthlyUsd;
    expect(floor(7) - floor(4)).toBeCloseTo(3 * PRICES.wafRule.usd['us-east-1'], 9);
  });

  test('ground 5 includes the serverless cache minimum and the interface endpoints × AZs', () => {
    const cache = idleItem('Ground5-Caches', ground5(), 'ElastiCache Serverless minimum storage');
    expect(cache?.quantity).toBeCloseTo(0.1 * 730, 9);
    expect(cache?.usd).toBeCloseTo(0.1 * 730 * PRICES.valkeyStorageGbHour.usd['us-east-1'], 9);
    const endpoints = idleItem('Ground5-Caches', ground5(2), 'VPC interface endpoints');
    expect(endpoints?.counted).toBe('3 interface endpoints × 2 AZs (6 endpoint-AZs)');
    expect(endpoints?.usd).toBeCloseTo(3 * 2 * 730 * PRICES.interfaceEndpointHour.usd['us-east-1'], 9);
    const threeAzs = idleItem('Ground5-Caches', ground5(3), 'VPC interface endpoints');
    expect(threeAzs?.usd).toBeCloseTo(3 * 3 * 730 * PRICES.interfaceEndpointHour.usd['us-east-1'], 9);
  });

  test('ground 0 has no WAF and no idle cost', () => {
    const sheet = costSheet(reviewStack('Ground0-ModelCall', ground0()), DEFAULT_ASSUMPTIONS);
    expect(sheet.idle.some((l) => l.price.service === 'WAF')).toBe(false);
    expect(sheet.idleMonthlyUsd).toBe(0);
    expect(sheet.routes.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /prompt']);
    expect(sheet.routes[0].parts.some((p) => p.price.service === 'WAF')).toBe(false);
  });

  test('the EU Region prices the same template with its own figures', () => {
    const eu = costSheet(reviewStack('Ground5-Caches', ground5()), costAssumptionsSchema.parse({ region: 'eu-central-1' }));
    const endpoints = eu.idle.find((l) => l.item === 'VPC interface endpoints');
    expect(endpoints?.unitUsd).toBe(PRICES.interfaceEndpointHour.usd['eu-central-1']);
  });
});

describe('cost per 1,000 requests', () => {
  test('the guardrail on query and answer costs what its policies in the template cost', () => {
    const withGuardrail = costSheet(reviewStack('Ground4-Gateway', ground4()), DEFAULT_ASSUMPTIONS).routes[0];
    const template = ground4();
    delete template.Resources.Guardrail;
    const without = costSheet(reviewStack('Ground4-Gateway', template), DEFAULT_ASSUMPTIONS).routes[0];
    // 800 query characters = 1 text unit; 300 answer tokens × 4 characters = 2 text units; content + topics + PII.
    const perUnit = 0.15 + 0.15 + 0.1;
    expect(withGuardrail.usdPer1000 - without.usdPer1000).toBeCloseTo(3 * perUnit, 9);
  });

  test('the cache hit rate takes its share off the model tokens', () => {
    const route = (hitRate: number) =>
      costSheet(reviewStack('Ground5-Caches', ground5()), costAssumptionsSchema.parse({ cacheHitRate: hitRate })).routes[0].parts.find((p) =>
        p.item.startsWith('Model output'),
      );
    const output = modelPrices('nova-lite').output!.usd['us-east-1'];
    expect(route(0)?.usd).toBeCloseTo((300 * output) / 1e6, 12);
    expect(route(0.5)?.usd).toBeCloseTo((150 * output) / 1e6, 12);
  });

  test('Lambda duration follows the MemorySize in the template', () => {
    const template = ground0();
    const duration = () =>
      costSheet(reviewStack('Ground0-ModelCall', template), DEFAULT_ASSUMPTIONS).routes[0].parts.find((p) => p.item.startsWith('Lambda duration'))?.usd;
    const at1024 = duration();
    template.Resources.PromptFunction.Properties = { MemorySize: 2048, Architectures: ['arm64'] };
    expect(duration()).toBeCloseTo(2 * at1024!, 12);
  });
});

describe('prices and Markdown', () => {
  test('every price has a source or an assumed flag with a reason', () => {
    const all: Price[] = [
      ...Object.values(PRICES),
      sagemakerInstancePrice('ml.m5.large'),
      ...(['nova-micro', 'nova-lite', 'nova-pro', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'titan-embed-text-v2'] as const).flatMap((a) => {
        const p = modelPrices(a);
        return p.output ? [p.input, p.output] : [p.input];
      }),
    ];
    for (const p of all) {
      expect(p.source !== undefined || p.assumed === true).toBe(true);
      if (p.assumed) expect(p.reason?.length ?? 0).toBeGreaterThan(20);
      if (p.source) expect(p.source.url).toMatch(/^https:\/\//);
      expect(Object.keys(p.usd).sort()).toEqual(['eu-central-1', 'us-east-1']);
    }
  });

  test('the Markdown is deterministic, names counts and prints the assumptions', () => {
    const markdown = () => costSheetMarkdown(costSheet(reviewStack('Ground5-Caches', ground5()), DEFAULT_ASSUMPTIONS));
    const text = markdown();
    expect(markdown()).toBe(text);
    expect(text).toContain('| WAF rules | 4 rules in 1 web ACL |');
    expect(text).toContain('"cacheHitRate": 0.2');
    expect(text).toContain('Gateway VPC endpoints (S3, DynamoDB) have no charge.');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});
