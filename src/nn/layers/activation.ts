/** Activation modules: ReLU, GELU, Tanh, Sigmoid, Softmax, Identity. */
import type { Tensor } from '../../tensor/tensor';
import { checked } from '../functional/activation';
import { Module } from '../module';

export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return checked(x, 'ReLU').relu();
  }
}

export class GELU extends Module {
  /** approximate 'tanh' is GPT-2's gelu_new; 'none' (default) the exact erf form. */
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  override forward(x: Tensor): Tensor {
    return checked(x, 'GELU').gelu(this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return checked(x, 'Tanh').tanh();
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return checked(x, 'Sigmoid').sigmoid();
  }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return checked(x, 'Softmax').softmax(this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Returns its input (a placeholder, e.g. where a model has no pooler). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}
