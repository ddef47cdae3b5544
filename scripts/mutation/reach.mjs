// Reading the coverage file that scripts/test-harness.mjs writes during the dry run (FROD_MUTATION_COVERAGE):
// { static: { mutantId: hits }, perTest: { 'import:FILE' | 'run:FILE': { mutantId: hits } }, preloaded }.

/**
 * What the coverage says about one mutant: the test files that reached it, while they loaded or while their
 * suites ran; whether it ran at a mutated module's own top level (`atLoad`: then every file must run it, since
 * a module's top level runs once, under whichever file imports it first); and how often it ran in all.
 *
 * The dry run imports the mutated files before any test file (FROD_MUTATION_PRELOAD), so their top level is
 * 'static' and 'import:FILE' is only what FILE's own top-level set-up reached. A coverage file from a dry run
 * without that preload cannot tell the two apart: every 'import:' mutant then counts as `atLoad`.
 */
export function mutantReach(coverage, id) {
  const files = new Set();
  let hits = coverage.static[id] ?? 0;
  let atLoad = hits > 0;
  for (const [testId, counts] of Object.entries(coverage.perTest)) {
    const n = counts[id] ?? 0;
    if (n === 0) continue;
    hits += n;
    if (testId.startsWith('import:') && !coverage.preloaded) atLoad = true;
    files.add(testId.slice(testId.indexOf(':') + 1));
  }
  return { files: [...files].sort(), atLoad, hits };
}
