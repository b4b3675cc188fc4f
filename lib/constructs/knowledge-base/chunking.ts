import { Token } from 'aws-cdk-lib';
import type { CfnDataSource } from 'aws-cdk-lib/aws-bedrock';

/**
 * How documents are split before they are embedded. Changing it replaces the data source (the
 * whole corpus is re-chunked by the next ingestion job).
 */
export type ChunkingStrategy =
  /** Chunks of `maxTokens`, neighbours sharing `overlapPercentage` of their tokens. */
  | { readonly strategy: 'fixed'; readonly maxTokens: number; readonly overlapPercentage: number }
  /** Large parent chunks for context, small child chunks for matching. */
  | { readonly strategy: 'hierarchical'; readonly parentMaxTokens: number; readonly childMaxTokens: number; readonly overlapTokens: number }
  /** Splits where the meaning changes: sentences on each side compared, dissimilarity percentile that splits. */
  | { readonly strategy: 'semantic'; readonly maxTokens: number; readonly bufferSize: number; readonly breakpointPercentileThreshold: number }
  /** Each file is one chunk (the documents are already split). */
  | { readonly strategy: 'none' };

export const DEFAULT_CHUNKING: ChunkingStrategy = { strategy: 'fixed', maxTokens: 300, overlapPercentage: 20 };

/** Throws when a value is out of the range Bedrock accepts; tokens are checked at deploy time. */
export function validateChunking(c: ChunkingStrategy): void {
  switch (c.strategy) {
    case 'fixed':
      inRange('chunking.maxTokens', c.maxTokens, 1, 8_192);
      inRange('chunking.overlapPercentage', c.overlapPercentage, 1, 99);
      return;
    case 'hierarchical':
      inRange('chunking.parentMaxTokens', c.parentMaxTokens, 1, 8_192);
      inRange('chunking.childMaxTokens', c.childMaxTokens, 1, 8_192);
      inRange('chunking.overlapTokens', c.overlapTokens, 1, 1_000);
      if (!Token.isUnresolved(c.childMaxTokens) && !Token.isUnresolved(c.parentMaxTokens) && c.childMaxTokens >= c.parentMaxTokens) {
        throw new Error(`chunking.childMaxTokens must be below chunking.parentMaxTokens (${c.parentMaxTokens}), got ${c.childMaxTokens}`);
      }
      return;
    case 'semantic':
      inRange('chunking.maxTokens', c.maxTokens, 1, 8_192);
      inRange('chunking.bufferSize', c.bufferSize, 0, 1);
      inRange('chunking.breakpointPercentileThreshold', c.breakpointPercentileThreshold, 50, 99);
      return;
    case 'none':
      return;
    default:
      throw new Error(`chunking.strategy must be one of fixed, hierarchical, semantic, none, got ${JSON.stringify((c as { strategy: unknown }).strategy)}`);
  }
}

export function chunkingConfiguration(c: ChunkingStrategy): CfnDataSource.ChunkingConfigurationProperty {
  switch (c.strategy) {
    case 'fixed':
      return { chunkingStrategy: 'FIXED_SIZE', fixedSizeChunkingConfiguration: { maxTokens: c.maxTokens, overlapPercentage: c.overlapPercentage } };
    case 'hierarchical':
      return {
        chunkingStrategy: 'HIERARCHICAL',
        // Bedrock takes exactly two levels, parent first.
        hierarchicalChunkingConfiguration: {
          levelConfigurations: [{ maxTokens: c.parentMaxTokens }, { maxTokens: c.childMaxTokens }],
          overlapTokens: c.overlapTokens,
        },
      };
    case 'semantic':
      return {
        chunkingStrategy: 'SEMANTIC',
        semanticChunkingConfiguration: { maxTokens: c.maxTokens, bufferSize: c.bufferSize, breakpointPercentileThreshold: c.breakpointPercentileThreshold },
      };
    case 'none':
      return { chunkingStrategy: 'NONE' };
  }
}

export function inRange(name: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
}
