import * as fs from 'node:fs';
import { runCase } from './fuzz/cases';
import { loadSeeds } from './fuzz/corpus';
const dir = '/tmp/h11/case45'; fs.rmSync(dir, { recursive: true, force: true }); fs.mkdirSync(dir);
const origError = console.error;
const o = await runCase('suite', 45, loadSeeds(), dir);
console.log(o);
