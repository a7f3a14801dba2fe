// Keeps the code in the guides identical to docs/examples/*.ts (which `tsc` type-checks).
// Between `<!-- example: examples/x.ts -->` and `<!-- /example -->` the file's text is inlined.
//   node docs/sync-examples.mjs          rewrite the guides
//   node docs/sync-examples.mjs --check  exit 1 when a guide is out of date
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = new URL(".", import.meta.url).pathname;
const check = process.argv.includes("--check");
const block = /<!-- example: (\S+) -->\n[\s\S]*?<!-- \/example -->/g;
let stale = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith(".md"))) {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  const next = text.replace(block, (_m, example) => {
    const code = readFileSync(join(dir, example), "utf8").trimEnd();
    return `<!-- example: ${example} -->\n\`\`\`ts\n${code}\n\`\`\`\n<!-- /example -->`;
  });
  if (next !== text) {
    stale++;
    if (check) console.error(`${file} is out of date: run node docs/sync-examples.mjs`);
    else writeFileSync(path, next);
  }
}
process.exitCode = check && stale > 0 ? 1 : 0;
