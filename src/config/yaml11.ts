/**
 * Plain scalars other than `true` and `false` that YAML 1.1 tools read as booleans. A module
 * of its own, so that the rules can use it without loading the `yaml` package that the YAML
 * phase needs: the fast load of a plain vars file does without that package.
 */
export const YAML11_BOOLEAN_WORDS = /^(y|yes|n|no|on|off)$/i;
