/**
 * The same parity cases on gpu.js's plain-JavaScript backend: a second code generator over the same kernel
 * sources (the GL backends are a third; see headlessgl.test.ts).
 */
import { paritySuite } from './suite';

paritySuite('gpu parity (gpu.js cpu backend)', 'cpu', 3);
