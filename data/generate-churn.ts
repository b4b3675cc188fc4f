/**
 * Writes data/churn/{train,validation}/*.csv from the fixed-seed generator. Run after changing the
 * generator: `npx tsx data/generate-churn.ts`; test/constructs/predictive-ml-dataset.test.ts
 * fails when the committed files differ from what the generator produces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateChurnCsv } from '../lib/constructs/predictive-ml/dataset';

export const CHURN_DATA_DIR = path.join(__dirname, 'churn');
export const CHURN_FILES = { train: path.join(CHURN_DATA_DIR, 'train', 'train.csv'), validation: path.join(CHURN_DATA_DIR, 'validation', 'validation.csv') };

if (require.main === module) {
  const csv = generateChurnCsv();
  for (const [channel, file] of Object.entries(CHURN_FILES)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, csv[channel as keyof typeof csv]);
  }
}
