/**
 * frod-ts: a tensor engine with reverse-mode autograd, float64 linear algebra and a gpu.js device, and on it
 * FRoD (Full-Rank Efficient Fine-Tuning with Rotational Degrees) as Hugging Face PEFT ships it.
 */
export * from './tensor';
export * from './autograd';
