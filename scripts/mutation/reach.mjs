// Reading the coverage file that scripts/test-harness.mjs writes during the dry run (FROD_MUTATION_COVERAGE):
// { static: { mutantId: hits }, perTest: { 'import:FILE' | 'run:FILE': { mutantId: hits } } }.

/**
 * What the coverage says about one mutant: the test files whose suites reached it, whether it ran while some
 * file was loading (then every file must run it), and how often it ran in all.
 */
export function mutantReach(coverage, id) {
  const files = new Set();
  let hits = coverage.static[id] ?? 0;
  let atLoad = hits > 0;
  for (const [testId, counts] of Object.entries(coverage.perTest)) {
    const n = counts[id] ?? 0;
    if (n === 0) continue;
    hits += n;
    if (testId.startsWith('import:')) atLoad = true;
    else files.add(testId.slice('run:'.length));
  }
  return { files: [...files].sort(), atLoad, hits };
}
