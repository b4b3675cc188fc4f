import * as fs from 'node:fs';
import * as path from 'node:path';
import { acknowledgementsIn } from '../../lib/checks';
import { buildApp } from '../support/synth';

/**
 * Every acknowledgement the regulated profile adds (those the standard profile does not have) is
 * listed in docs/compliance.md by its rule name: an acknowledgement added without its row fails here.
 */
const DOC = fs.readFileSync(path.join(__dirname, '../../docs/compliance.md'), 'utf8');

test('each acknowledgement of the regulated profile has its rule in docs/compliance.md', () => {
  const regulated = buildApp({ compliance: 'regulated' });
  const standard = buildApp();
  regulated.app.synth();
  standard.app.synth();
  const known = new Set(acknowledgementsIn(standard.app).map((a) => `${a.id} ${a.path.split('/').slice(1).join('/')}`));
  const added = acknowledgementsIn(regulated.app).filter((a) => !known.has(`${a.id} ${a.path.split('/').slice(1).join('/')}`));
  expect(added.length).toBeGreaterThan(0);
  // The rule without its pack prefix, as the tables name it ("S3BucketReplicationEnabled", "AwsSolutions-IAM4").
  const rule = (id: string) => id.replace(/^(NIST\.800\.53\.R5|HIPAA\.Security)-/, '').replace(/\[.*\]$/, '');
  const unlisted = [...new Set(added.map((a) => rule(a.id)))].filter((r) => !DOC.includes(`| ${r} `) && !DOC.includes(`| ${r}  `));
  expect(unlisted).toEqual([]);
});
