/**
 * Prints (JSON, on stdout) what GetPrompt returns for the prompt version the stack deploys.
 * Run in a child process by the bench, so aws-cdk-lib never sits in the heap of the in-process
 * handler timings. Usage: tsx bench/prompt-fixture.ts <promptId>
 */
import { deployedPrompt } from '../test/support/deployed-prompt';

const id = process.argv[2];
if (!id) throw new Error('usage: tsx bench/prompt-fixture.ts <promptId>');
process.stdout.write(JSON.stringify(deployedPrompt(id)));
