/**
 * The float64 kernels behind `linalg`, on plain row-major matrices (see mat.ts). They are usable on
 * their own — no Tensor needed — and never modify their inputs.
 */
export { type Mat, EPS, mat, fromRows, toRows, identity, clone, transpose, matmul, frobeniusNorm, maxAbs } from './mat';
export { type QrMode, type QrFactors, qr, qrR, householderFactor } from './qr';
export { cholesky, choleskyInverse, lowerTriangularInverse } from './cholesky';
export { type EighResult, eigh } from './eigh';
export { type SvdResult, svd, svdvals } from './svd';
export { type LuFactors, luFactor, luSolve, solve, inv, det, slogdet } from './lu';
export { type PinvOptions, pinv } from './pinv';
export { canonicalSign } from './signs';
