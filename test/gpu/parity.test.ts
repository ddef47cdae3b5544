/**
 * The gpu device against the cpu device on random shapes and values, for every primitive (through the ops
 * that use it), on the backend gpu.js picks here (webasm on a machine without gl).
 */
import { paritySuite } from './suite';

paritySuite('gpu parity (auto backend)', 'gpu', 8);
