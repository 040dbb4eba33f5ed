// Parse workflows and action.yml files with GitHub's own parser and print the
// validation errors as JSON: {"<file>": ["error", ...]}. Exit 1 if any.
// Usage: node --import ./json-imports.mjs parse.mjs FILE...
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from "@actions/workflow-parser";
import { convertActionTemplate, parseAction } from "@actions/workflow-parser/actions/index";

const trace = new NoOperationTraceWriter();
const report = {};
let failed = false;
for (const name of process.argv.slice(2)) {
  const file = { name, content: readFileSync(name, "utf8") };
  const isAction = ["action.yml", "action.yaml"].includes(basename(name));
  const parsed = isAction ? parseAction(file, trace) : parseWorkflow(file, trace);
  if (parsed.value !== undefined) {
    if (isAction) {
      await convertActionTemplate(parsed.context, parsed.value);
    } else {
      await convertWorkflowTemplate(parsed.context, parsed.value);
    }
  }
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  report[name] = errors;
  failed ||= errors.length > 0;
}
console.log(JSON.stringify(report));
process.exit(failed ? 1 : 0);
