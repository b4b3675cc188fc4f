/**
 * Stands in for `semver` in every function bundle (esbuild alias in lib/constructs/shared/bundling.ts).
 * Its only importer is the X-Ray SDK's patcher for the AWS SDK v2 (`captureAWS`), which these
 * functions never call: they trace SDK v3 clients with `captureAWSv3Client`. Leaving it out saves
 * 28 KB in every bundle; a call would fail loudly rather than silently.
 */
export function gte(): never {
  throw new Error('semver is not bundled: the X-Ray SDK v2 patcher (captureAWS) is not used by these functions');
}
