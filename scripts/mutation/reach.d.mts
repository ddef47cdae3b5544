// Types of reach.mjs, for test/mutationReach.test.ts.
export interface MutantCoverage {
  static: Record<string, number>;
  perTest: Record<string, Record<string, number>>;
  preloaded?: boolean;
}
export function mutantReach(coverage: MutantCoverage, id: string): { files: string[]; atLoad: boolean; hits: number };
