/** Sums the suites' vitest JSON reports into one closing line: "tests: N passed, N failed". */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const dir = process.argv[2] ?? '.local/results';
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as VitestJson;
  console.log(
    `  ${file.replace(/\.json$/, '').padEnd(8)} ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
  );
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
// A suite that ran nothing, or skipped anything, is a failure: a test that does not run proves nothing.
process.exit(failed > 0 || passed === 0 || skipped > 0 ? 1 : 0);
