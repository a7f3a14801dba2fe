/**
 * Every public API has a doc comment: each name exported from the three entry points resolves to a
 * declaration that carries JSDoc.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const entries = ["src/index.ts", "src/testing/index.ts", "src/nest/index.ts"].map((p) => join(root, p)).filter((p) => existsSync(p));

test("every name exported by tsoperator, tsoperator/testing and tsoperator/nest is documented", () => {
  const program = ts.createProgram(entries, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    experimentalDecorators: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const undocumented: string[] = [];
  for (const entry of entries) {
    const file = program.getSourceFile(entry);
    assert.ok(file, entry);
    const moduleSymbol = checker.getSymbolAtLocation(file);
    assert.ok(moduleSymbol, entry);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = symbol.getDeclarations() ?? [];
      if (declarations.some((d) => d.getSourceFile().fileName.includes("node_modules"))) continue;
      const documented =
        declarations.some((d) => ts.getJSDocCommentsAndTags(d).length > 0) || symbol.getDocumentationComment(checker).length > 0;
      if (!documented) undocumented.push(`${entry.slice(root.length)}: ${exported.getName()}`);
    }
  }
  assert.deepEqual(undocumented, []);
});
