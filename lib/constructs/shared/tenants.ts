import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { TenantDirectory, TenantTier } from '../../../contracts/tenants';

/** A tenant as the functions must recognise it: by the credentials API Gateway checks for it. */
export interface GatewayTenant {
  readonly name: string;
  readonly tier: TenantTier;
  /** The id API Gateway reports for the tenant's API key (ground 4). */
  readonly apiKeyId: string;
  /** The tenant's Cognito machine client, whose access tokens carry it as `client_id` (ground 7). @default none */
  readonly clientId?: string;
  /** Model ids to call for this tenant instead of a model's own (its application inference profiles), by alias. @default none */
  readonly modelIds?: Readonly<Record<string, string>>;
}

/**
 * The TENANTS variable every request-path function reads (lambda/shared/identity.ts): the tenant
 * behind each API key id and machine-client id. One builder, so every route resolves a caller alike.
 */
export function tenantDirectoryJson(scope: IConstruct, tenants: readonly GatewayTenant[]): string {
  const directory: Record<string, TenantDirectory[string]> = {};
  for (const t of tenants) {
    const entry = { tenant: t.name, tier: t.tier, ...(t.modelIds ? { modelIds: t.modelIds } : {}) };
    directory[t.apiKeyId] = entry;
    if (t.clientId) directory[t.clientId] = entry;
  }
  return Stack.of(scope).toJsonString(directory);
}
