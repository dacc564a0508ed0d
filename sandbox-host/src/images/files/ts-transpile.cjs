// Transpiles one TypeScript file to CommonJS without a type check (Debian has no @types/node);
// syntax errors are reported like tsc's and fail the compile step.
'use strict';
const fs = require('node:fs');
const ts = require('typescript');
const [input, output] = process.argv.slice(2);
const source = fs.readFileSync(input, 'utf8');
const out = ts.transpileModule(source, {
  fileName: input,
  reportDiagnostics: true,
  compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true },
});
const errors = (out.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
if (errors.length > 0) {
  for (const d of errors) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      process.stderr.write(`${input}(${line + 1},${character + 1}): error TS${d.code}: ${message}\n`);
    } else {
      process.stderr.write(`error TS${d.code}: ${message}\n`);
    }
  }
  process.exit(1);
}
fs.writeFileSync(output, out.outputText);
