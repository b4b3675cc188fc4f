/**
 * Tenant-scoped retrieval: which tenant a document of the knowledge base belongs to, as the
 * ingestion path writes it (lambda/ingest, and the corpus deployment in
 * lib/constructs/knowledge-base) and as every Retrieve filters on it (lambda/shared/retrieval-filter.ts).
 * Dependency-free.
 *
 * Bedrock reads a document's metadata from `<object key>.metadata.json` next to it, shaped
 * `{"metadataAttributes": {...}}` (string, number or boolean values; at most 10 KB): "Add metadata
 * to your files to allow for filtering", https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ds.html.
 * The page says when the file is read only by implication: a sync (StartIngestionJob) crawls the
 * data source when it runs, so the sidecar must be in place before the job starts, and whether a
 * sync re-indexes a document whose sidecar alone changed is not documented (ingestion writes the
 * sidecar with each upload of its document, which changes the document too). The attributes become vector metadata, which S3 Vectors filters on when
 * the key is filterable (every key but the index's nonFilterableMetadataKeys), within 2 KB of
 * filterable metadata per vector: https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html.
 */

import { TENANT_NAME_PATTERN } from './ids';

/** The metadata attribute that says who may retrieve a document. */
export const AUDIENCE_KEY = 'audience';

/** Documents every caller may retrieve: everything outside TENANT_PREFIX. */
export const SHARED_AUDIENCE = 'shared';

/** Documents under TENANT_PREFIX whose folder is not a tenant name: indexed, retrievable by no caller. */
export const NO_AUDIENCE = 'none';

/** A tenant's documents are uploaded under `tenants/<tenant name>/`. */
export const TENANT_PREFIX = 'tenants/';

/** The suffix Bedrock reads a document's metadata from. */
export const SIDECAR_SUFFIX = '.metadata.json';

/**
 * The audience value of a tenant's documents. `tenant:` keeps it apart from `shared` and `none`
 * (a tenant may be named `shared`); lower case because tenant names are unique case-insensitively,
 * so `tenants/Acme/` and the tenant `acme` agree.
 */
export const tenantAudience = (tenant: string): string => `tenant:${tenant.toLowerCase()}`;

/** Keys Bedrock would read as metadata, never as documents: the ingestion path owns them. */
export const isSidecarKey = (key: string): boolean => key.endsWith(SIDECAR_SUFFIX);

export const sidecarKeyOf = (documentKey: string): string => `${documentKey}${SIDECAR_SUFFIX}`;

/**
 * Who may retrieve the document at `key`, from the key alone: `tenants/<name>/...` is the tenant's
 * (the prefix compared case-insensitively, so `Tenants/acme/x.pdf` is not shared by a slip of the
 * shift key), a folder that is no tenant name or a file directly under `tenants/` is no one's, and
 * anything else is shared. Nothing the uploader writes can change it.
 */
export function documentAudience(key: string): string {
  if (!key.toLowerCase().startsWith(TENANT_PREFIX)) return SHARED_AUDIENCE;
  const rest = key.slice(TENANT_PREFIX.length);
  const slash = rest.indexOf('/');
  const folder = slash < 0 ? '' : rest.slice(0, slash);
  return TENANT_NAME_PATTERN.test(folder) ? tenantAudience(folder) : NO_AUDIENCE;
}

/** The sidecar of the document at `key`, byte for byte: the same from every writer, so a rewrite changes nothing. */
export function sidecarBody(documentKey: string): string {
  return JSON.stringify({ metadataAttributes: { [AUDIENCE_KEY]: documentAudience(documentKey) } });
}
