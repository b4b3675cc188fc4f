import { asArray, blockOrder, byPath, grantPhrases, isRecord, labelOf, principalsOf, refsIn, textOf } from './iam';
import { BLOCKS, serviceOf, STATEFUL_TYPES, type ReviewResource, type ReviewStack } from './model';

/**
 * The inventory of one stack, in Markdown: what it creates, who may do what, where it can be
 * called from, and what it stores. Everything is read from the template; where the template says
 * nothing, the inventory says "not set". Sorted, no timestamps: the same template gives the same text.
 */
export function inventoryMarkdown(stack: ReviewStack): string {
  const sections = [
    `# Inventory: ${stack.id}`,
    stack.description,
    '## Resources by block and type',
    resourcesSection(stack),
    '## IAM principals and what each may do',
    principalsSection(stack),
    '## Public entry points',
    entryPointsSection(stack),
    '## Stored data',
    storedDataSection(stack),
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

function resourcesSection(stack: ReviewStack): string {
  const rows = stack.blocks.flatMap((b) => {
    const counts = new Map<string, number>();
    for (const r of b.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => compare(a, b)).map(([type, n]) => [b.name, serviceOf(type), `\`${type}\``, String(n)]);
  });
  return `${table(['Block', 'Service', 'Type', 'Count'], rows)}\n\n${stack.resources.length} resources in ${stack.blocks.length} blocks.`;
}

function principalsSection(stack: ReviewStack): string {
  const principals = principalsOf(stack);
  if (principals.length === 0) return 'No IAM roles in this template.';
  return principals
    .map((p) => {
      const list = (rs: readonly ReviewResource[]) => rs.map((r) => `${shortType(r.type)} \`${labelOf(r)}\``).join(', ');
      const who = [
        p.assumedBy.length > 0 ? `Assumed by ${p.assumedBy.map((a) => `\`${a}\``).join(', ')}` : 'Trust policy not set',
        p.usedBy.length > 0 ? `used by ${list(p.usedBy)}` : 'used by nothing in this template',
        ...(p.namedIn.length > 0 ? [`also named in ${list(p.namedIn)}`] : []),
      ];
      const phrases = grantPhrases(p, stack);
      const lines = [
        ...phrases.map((ph) => `- ${ph}`),
        ...(p.managedPolicies.length > 0 ? [`- AWS managed policies: ${p.managedPolicies.join(', ')}`] : []),
        ...(phrases.length === 0 && p.managedPolicies.length === 0 ? ['- no permissions in this template'] : []),
      ];
      return `### ${blockName(p.role.block)}: \`${labelOf(p.role)}\`\n\n${who.join('; ')}.\n\n${lines.join('\n')}`;
    })
    .join('\n\n');
}

function entryPointsSection(stack: ReviewStack): string {
  const parts: string[] = [];
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const ofType = (type: string) => stack.resources.filter((r) => r.type === type).sort(byPath);
  const refTo = (value: unknown, type?: string) => [...refsIn(value)].map((id) => byId.get(id)).find((r) => r && (!type || r.type === type));

  for (const api of ofType('AWS::ApiGateway::RestApi')) {
    const endpoint = isRecord(api.properties.EndpointConfiguration) ? asArray(api.properties.EndpointConfiguration.Types).map(textOf).join(', ') : 'not set';
    const stages = ofType('AWS::ApiGateway::Stage').filter((s) => refsIn(s.properties.RestApiId).has(api.logicalId));
    const wafs = ofType('AWS::WAFv2::WebACLAssociation')
      .filter((a) => [...refsIn(a.properties.ResourceArn)].some((id) => id === api.logicalId || stages.some((s) => s.logicalId === id)))
      .map((a) => refTo(a.properties.WebACLArn));
    const methods = ofType('AWS::ApiGateway::Method').filter((m) => refsIn(m.properties.RestApiId).has(api.logicalId));
    const rows = methods
      .map((m) => {
        const p = m.properties;
        const authorizer = refTo(p.AuthorizerId);
        const provider = authorizer ? refTo(authorizer.properties.ProviderARNs) : undefined;
        const auth = `${textOf(p.AuthorizationType) || 'not set (NONE)'}${provider ? ` (\`${labelOf(provider)}\`)` : ''}`;
        const integration = isRecord(p.Integration) ? p.Integration : {};
        const target = refTo(integration.Uri);
        const via = target ? `${shortType(target.type)} \`${labelOf(target)}\`` : textOf(integration.Type) || 'not set';
        const scopes = asArray(p.AuthorizationScopes).map(textOf).join(', ') || '—';
        return [resourcePath(p.ResourceId, byId), textOf(p.HttpMethod), auth, scopes, p.ApiKeyRequired === true ? 'required' : 'no', via];
      })
      .sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
    const stageText = stages.map((s) => `\`${textOf(s.properties.StageName)}\``).join(', ') || 'not set';
    const wafText = wafs.length > 0 ? wafs.map((w) => (w ? `\`${labelOf(w)}\`` : 'a web ACL not in this template')).join(', ') : 'none';
    parts.push(
      `### REST API \`${labelOf(api)}\`\n\nEndpoint: ${endpoint}; stage ${stageText}; WAF web ACL: ${wafText}.\n\n` +
        table(['Path', 'Method', 'Authorization', 'Scopes', 'API key', 'Integration'], rows),
    );
  }

  const urls = ofType('AWS::Lambda::Url').map((u) => {
    const fn = refTo(u.properties.TargetFunctionArn);
    return [fn ? `\`${labelOf(fn)}\`` : textOf(u.properties.TargetFunctionArn), textOf(u.properties.AuthType), textOf(u.properties.InvokeMode) || 'not set'];
  });
  if (urls.length > 0) parts.push(`### Function URLs\n\n${table(['Function', 'Auth type', 'Invoke mode'], urls)}`);

  const domains = ofType('AWS::Cognito::UserPoolDomain').map((d) => {
    const pool = refTo(d.properties.UserPoolId);
    const custom = isRecord(d.properties.CustomDomainConfig) ? 'custom domain' : 'Cognito prefix domain';
    return [`\`${cognitoText(d.properties.Domain, byId)}\``, custom, pool ? `\`${labelOf(pool)}\`` : 'not in this template'];
  });
  if (domains.length > 0) parts.push(`### Cognito domains\n\n${table(['Domain', 'Kind', 'User pool'], domains)}`);

  const clients = ofType('AWS::Cognito::UserPoolClient').map((c) => [
    `\`${labelOf(c)}\``,
    asArray(c.properties.AllowedOAuthFlows).map(textOf).join(', ') || 'not set',
    asArray(c.properties.AllowedOAuthScopes)
      .map((s) => cognitoText(s, byId))
      .join(', ') || 'not set',
    c.properties.GenerateSecret === true ? 'yes' : 'no',
  ]);
  if (clients.length > 0) parts.push(`### Cognito app clients\n\n${table(['Client', 'OAuth flows', 'Scopes', 'Client secret'], clients)}`);

  return parts.length > 0 ? parts.join('\n\n') : 'None: nothing in this template is reachable from outside the account.';
}

/** The path of an API Gateway resource, from its `PathPart`s up to the root. */
function resourcePath(resourceId: unknown, byId: Map<string, ReviewResource>): string {
  const segments: string[] = [];
  let current = isRecord(resourceId) && typeof resourceId.Ref === 'string' ? byId.get(resourceId.Ref) : undefined;
  while (current?.type === 'AWS::ApiGateway::Resource') {
    segments.unshift(textOf(current.properties.PathPart));
    const parent = current.properties.ParentId;
    current = isRecord(parent) && typeof parent.Ref === 'string' ? byId.get(parent.Ref) : undefined;
  }
  return `/${segments.join('/')}`;
}

/** Cognito text where a `Ref` to a resource server stands for its identifier (what a scope is made of). */
function cognitoText(value: unknown, byId: Map<string, ReviewResource>): string {
  return textOf(value).replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, id: string) => {
    const r = byId.get(id);
    return r?.type === 'AWS::Cognito::UserPoolResourceServer' ? textOf(r.properties.Identifier) : whole;
  });
}

function storedDataSection(stack: ReviewStack): string {
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const rows = stack.resources
    .filter((r) => STATEFUL_TYPES.has(r.type))
    .sort((a, b) => blockOrder(a.block) - blockOrder(b.block) || compare(a.type, b.type) || byPath(a, b))
    .map((r) => [
      blockName(r.block),
      `\`${labelOf(r)}\``,
      shortType(r.type),
      encryptionOf(r, byId),
      `${r.deletionPolicy ?? 'not set'} / ${r.updateReplacePolicy ?? 'not set'}`,
      lifetimeOf(r),
    ]);
  if (rows.length === 0) return 'This template stores no data.';
  return table(['Block', 'Store', 'Type', 'Encryption', 'DeletionPolicy / UpdateReplacePolicy', 'Expiry, versions, backup'], rows);
}

function encryptionOf(r: ReviewResource, byId: Map<string, ReviewResource>): string {
  const p = r.properties;
  const key = (value: unknown) => {
    const inTemplate = [...refsIn(value)].map((id) => byId.get(id)).find((k) => k?.type === 'AWS::KMS::Key');
    return inTemplate ? `customer-managed KMS key \`${labelOf(inTemplate)}\`` : `KMS key \`${textOf(value)}\``;
  };
  switch (r.type) {
    case 'AWS::DynamoDB::Table': {
      // SSEEnabled true without a key: the AWS managed key (alias/aws/dynamodb); false or absent: an AWS owned key.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-table-ssespecification.html (read 2026-12-04)
      const sse = isRecord(p.SSESpecification) ? p.SSESpecification : {};
      if (sse.KMSMasterKeyId !== undefined) return key(sse.KMSMasterKeyId);
      return sse.SSEEnabled === true ? 'AWS managed KMS key (SSEEnabled, no key named)' : 'not set (AWS owned key)';
    }
    case 'AWS::S3::Bucket': {
      const enc = isRecord(p.BucketEncryption) ? asArray(p.BucketEncryption.ServerSideEncryptionConfiguration)[0] : undefined;
      const byDefault = isRecord(enc) && isRecord(enc.ServerSideEncryptionByDefault) ? enc.ServerSideEncryptionByDefault : undefined;
      if (!byDefault) return 'not set';
      const algorithm = textOf(byDefault.SSEAlgorithm);
      const bucketKey = isRecord(enc) && enc.BucketKeyEnabled === true ? ', bucket key' : '';
      if (algorithm === 'AES256') return 'SSE-S3 (AES256)';
      const named = byDefault.KMSMasterKeyID !== undefined ? key(byDefault.KMSMasterKeyID) : 'no key named';
      return `${algorithm === 'aws:kms' ? 'SSE-KMS' : algorithm}, ${named}${bucketKey}`;
    }
    case 'AWS::S3Vectors::VectorBucket':
    case 'AWS::S3Vectors::Index': {
      const enc = isRecord(p.EncryptionConfiguration) ? p.EncryptionConfiguration : undefined;
      if (!enc) return 'not set';
      return enc.KmsKeyArn !== undefined ? `${textOf(enc.SseType)}, ${key(enc.KmsKeyArn)}` : `${textOf(enc.SseType)}`;
    }
    case 'AWS::SQS::Queue':
      if (p.KmsMasterKeyId !== undefined) return key(p.KmsMasterKeyId);
      return p.SqsManagedSseEnabled === true ? 'SSE-SQS (SqsManagedSseEnabled)' : 'not set';
    case 'AWS::Logs::LogGroup':
    case 'AWS::ElastiCache::ServerlessCache':
      return p.KmsKeyId !== undefined ? key(p.KmsKeyId) : 'not set';
    case 'AWS::KMS::Key':
      return `is a customer-managed key; rotation ${p.EnableKeyRotation === true ? 'on' : 'not set'}`;
    default:
      return 'not set';
  }
}

function lifetimeOf(r: ReviewResource): string {
  const p = r.properties;
  const facts: string[] = [];
  switch (r.type) {
    case 'AWS::DynamoDB::Table': {
      const ttl = isRecord(p.TimeToLiveSpecification) ? p.TimeToLiveSpecification : undefined;
      facts.push(ttl?.Enabled === true ? `TTL on \`${textOf(ttl.AttributeName)}\`` : 'TTL not set');
      const pitr = isRecord(p.PointInTimeRecoverySpecification) ? p.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled : undefined;
      facts.push(pitr === undefined ? 'PITR not set' : `PITR ${pitr === true ? 'on' : 'off'}`);
      if (p.DeletionProtectionEnabled === true) facts.push('deletion protection on');
      break;
    }
    case 'AWS::S3::Bucket': {
      const versioning = isRecord(p.VersioningConfiguration) ? textOf(p.VersioningConfiguration.Status) : 'not set';
      facts.push(`versioning ${versioning}`);
      const rules = isRecord(p.LifecycleConfiguration) ? asArray(p.LifecycleConfiguration.Rules).filter(isRecord) : [];
      facts.push(...(rules.length > 0 ? rules.map(lifecycleRule) : ['lifecycle rules not set']));
      break;
    }
    case 'AWS::Logs::LogGroup':
      facts.push(p.RetentionInDays !== undefined ? `retention ${textOf(p.RetentionInDays)} days` : 'retention not set');
      break;
    case 'AWS::SQS::Queue':
      facts.push(p.MessageRetentionPeriod !== undefined ? `messages kept ${textOf(p.MessageRetentionPeriod)} s` : 'message retention not set');
      break;
    case 'AWS::ElastiCache::ServerlessCache':
      facts.push(p.SnapshotRetentionLimit !== undefined ? `snapshot retention limit ${textOf(p.SnapshotRetentionLimit)}` : 'snapshots not set');
      if (p.DailySnapshotTime !== undefined) facts.push(`daily snapshot at ${textOf(p.DailySnapshotTime)}`);
      break;
    case 'AWS::Cognito::UserPool':
      facts.push(`deletion protection ${p.DeletionProtection !== undefined ? textOf(p.DeletionProtection) : 'not set'}`);
      break;
    case 'AWS::KMS::Key':
      facts.push(`pending window ${p.PendingWindowInDays !== undefined ? `${textOf(p.PendingWindowInDays)} days` : 'not set'}`);
      break;
    default:
      facts.push('not set');
  }
  return facts.join('; ');
}

function lifecycleRule(rule: Record<string, unknown>): string {
  const parts: string[] = [];
  if (rule.ExpirationInDays !== undefined) parts.push(`expire after ${textOf(rule.ExpirationInDays)} days`);
  const noncurrent = isRecord(rule.NoncurrentVersionExpiration) ? rule.NoncurrentVersionExpiration.NoncurrentDays : rule.NoncurrentVersionExpirationInDays;
  if (noncurrent !== undefined) parts.push(`noncurrent versions expire after ${textOf(noncurrent)} days`);
  const abort = isRecord(rule.AbortIncompleteMultipartUpload) ? rule.AbortIncompleteMultipartUpload.DaysAfterInitiation : undefined;
  if (abort !== undefined) parts.push(`incomplete uploads aborted after ${textOf(abort)} days`);
  for (const t of asArray(rule.Transitions).filter(isRecord)) parts.push(`to ${textOf(t.StorageClass)} after ${textOf(t.TransitionInDays)} days`);
  const scope = rule.Prefix !== undefined ? ` (prefix \`${textOf(rule.Prefix)}\`)` : '';
  return `lifecycle${scope}: ${parts.join(', ') || 'no action'}${rule.Status === 'Disabled' ? ' (disabled)' : ''}`;
}

function blockName(id: string): string {
  return BLOCKS.find((b) => b.id === id)?.name ?? id;
}

/** `AWS::Lambda::Function` → `Lambda function`, `AWS::DynamoDB::Table` → `DynamoDB table`. */
function shortType(type: string): string {
  if (type.startsWith('Custom::')) return `custom resource ${type.slice('Custom::'.length)}`;
  const name = type.split('::')[2] ?? type;
  return `${serviceOf(type)} ${name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`;
}

function table(headers: string[], rows: string[][]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
