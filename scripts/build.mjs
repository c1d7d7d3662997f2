// Compiles src/ to dist/ as `tsc -p tsconfig.build.json` does, but replaces each output file
// with a rename, and only when its content changed. tsc truncates and rewrites every file in
// place, so a cake command that loads a module meanwhile (commands load theirs on demand) could
// read it empty and stop with exit 70. A rebuild of unchanged sources now writes nothing.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const diagnosticHost = {
  getCanonicalFileName: (file) => file,
  getCurrentDirectory: () => root,
  getNewLine: () => "\n",
};

const config = ts.getParsedCommandLineOfConfigFile(path.join(root, "tsconfig.build.json"), undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    process.stderr.write(ts.formatDiagnostic(diagnostic, diagnosticHost));
    process.exit(1);
  },
});
const program = ts.createProgram({
  rootNames: config.fileNames,
  options: config.options,
  projectReferences: config.projectReferences,
});
const emitted = program.emit(undefined, writeIfChanged);

// As with tsc, JavaScript is emitted even when the type check fails, and the exit code is then 2.
const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
if (diagnostics.length > 0) {
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, diagnosticHost));
  process.exitCode = 2;
}

/** Writes `text` to `file` through a temporary file in its folder, unless `file` has it already. */
function writeIfChanged(file, text) {
  if (existsSync(file) && readFileSync(file, "utf8") === text) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}
