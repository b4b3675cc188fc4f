import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SourceData } from '@smithy/types';

/**
 * SHA-256 and HMAC-SHA-256 on node:crypto, in the shape @smithy/signature-v4 expects (its `sha256`
 * option): the signers of the cache's IAM token, the smoke check and the integration probe.
 */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }

  public update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }

  public async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** node:crypto reads a string as UTF-8; bytes are passed as the view shows them (its offset and length only). */
function toBytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}
