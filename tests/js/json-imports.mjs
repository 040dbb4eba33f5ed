// Node 20 refuses `import x from "./file.json"` without an import attribute;
// the parser's compiled code has none. Add it for .json modules only.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function load(url, context, nextLoad) {
  if (url.endsWith(".json")) {
    return nextLoad(url, { ...context, importAttributes: { type: "json" } });
  }
  return nextLoad(url, context);
}`),
);
