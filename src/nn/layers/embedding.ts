/** Embedding, as nn.Embedding: a lookup table (num, dim) initialised N(0, 1), with an optional padding row. */
import { randn } from '../../tensor/create';
import type { DType } from '../../tensor/dtype';
import { expectTensor } from '../../tensor/expect';
import type { Generator } from '../../tensor/random';
import type { Tensor } from '../../tensor/tensor';
import { Module, parameter } from '../module';

export interface EmbeddingOptions {
  /** This row is initialised to zeros and receives no gradient. */
  paddingIdx?: number | null;
  dtype?: DType;
  generator?: Generator;
}

export class Embedding extends Module {
  declare weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    const pad = options.paddingIdx ?? null;
    this.paddingIdx = pad === null ? null : pad < 0 ? pad + numEmbeddings : pad;
    if (this.paddingIdx !== null && (this.paddingIdx < 0 || this.paddingIdx >= numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx must be within num_embeddings (${numEmbeddings}), got ${pad}`);
    }
    const weight = randn([numEmbeddings, embeddingDim], { dtype: options.dtype ?? 'float32', generator: options.generator });
    if (this.paddingIdx !== null) weight.select(0, this.paddingIdx).zero_();
    this.registerParameter('weight', parameter(weight));
  }

  /** int32 indices (...) → (..., embeddingDim). */
  override forward(indices: Tensor): Tensor {
    expectTensor(indices, 'Embedding', 'indices');
    if (indices.dtype !== 'int32') throw new Error(`Embedding: expected int32 indices, got ${indices.dtype}`);
    const flat = indices.reshape(-1);
    for (const i of flat.data()) {
      if (i < 0 || i >= this.numEmbeddings) throw new Error(`Embedding: index ${i} out of range for ${this.numEmbeddings} embeddings`);
    }
    let rows = this.weight.indexSelect(0, flat);
    if (this.paddingIdx !== null && this.weight.requiresGrad) {
      // Rows looked up at paddingIdx pass their values but no gradient, as nn.Embedding.
      const isPad = flat.eq(this.paddingIdx).unsqueeze(1);
      rows = rows.where(isPad.eq(0), rows.detach());
    }
    return rows.reshape(...indices.shape, this.embeddingDim);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
