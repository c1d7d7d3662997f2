import { readFileSync } from "node:fs";

/** The package version, read once from package.json so `--version` and output headers agree. */
export const CAKE_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
