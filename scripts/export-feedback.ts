/**
 * Exports the rated answers of the feedback table as JSON lines, for evaluation: one line per
 * rating with what produced the answer (model, model id, prompt version, guardrail version, cache
 * status), to join with the Bedrock invocation logs by requestId.
 *
 *   npx tsx scripts/export-feedback.ts <feedback table name> > feedback.jsonl
 *
 * Why a scan and not ExportTableToPointInTime: the evaluation set is the rated answers only (a
 * small share of the table, which also holds every unrated answer record), wanted as flat JSON
 * lines without DynamoDB's type wrappers, with no bucket to own and secure. The scan reads the
 * whole table once (on-demand read units; about $0.25 per million items read). For a very large
 * table, PITR is on: `aws dynamodb export-table-to-point-in-time --table-arn <arn> --s3-bucket <bucket>`
 * exports it without consuming read capacity.
 *
 * Principal and tenant are left out: an evaluation set needs what was rated, not who rated it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';

const FIELDS = [
  'requestId',
  'rating',
  'comment',
  'ratedAt',
  'model',
  'modelId',
  'promptVersion',
  'guardrailVersion',
  'cache',
  'sessionId',
  'createdAt',
] as const;

/** Writes one JSON line per rated answer through `write`; returns how many were written. */
export async function exportFeedback(client: DynamoDBDocumentClient, table: string, write: (line: string) => void): Promise<number> {
  let count = 0;
  const pages = paginateScan(
    { client },
    {
      TableName: table,
      FilterExpression: 'attribute_exists(rating)',
      ProjectionExpression: FIELDS.map((_, i) => `#f${i}`).join(', '),
      ExpressionAttributeNames: Object.fromEntries(FIELDS.map((f, i) => [`#f${i}`, f])),
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      write(JSON.stringify(Object.fromEntries(FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]]))));
      count++;
    }
  }
  return count;
}

if (require.main === module) {
  const table = process.argv[2];
  if (!table) {
    process.stderr.write('usage: npx tsx scripts/export-feedback.ts <feedback table name> > feedback.jsonl\n');
    process.exit(2);
  }
  exportFeedback(DynamoDBDocumentClient.from(new DynamoDBClient({})), table, (line) => process.stdout.write(`${line}\n`))
    .then((n) => process.stderr.write(`exported ${n} rated answers\n`))
    .catch((error: Error) => {
      process.stderr.write(`export failed: ${error.name}: ${error.message}\n`);
      process.exit(1);
    });
}
