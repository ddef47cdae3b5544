/**
 * The equations the page shows, in the order docs/frod-math.md gives them, each with the source function that
 * computes it. The build (site/build.ts) renders the TeX to MathML with temml — no math library runs in the
 * page — finds each function's line in the source and links to a copy of that file shipped with the page.
 */

/** Where an equation's computation lives: a file of the repository and a pattern matching its definition line. */
export interface SourceRef {
  file: string;
  /** A regular expression for the defining line, e.g. `export function categoryProjection\\(`. */
  line: string;
  /** The name shown on the link. */
  label: string;
}

export type PanelId = 'decompose' | 'rotate' | 'train';

export interface Equation {
  /** The section of docs/frod-math.md it belongs to. */
  section: string;
  tex: string;
  /** One sentence in words, under the equation. */
  note: string;
  source: SourceRef;
  /** The panel the equation sits beside. */
  panel: PanelId;
}

const fn = (file: string, name: string, prefix = 'export function'): SourceRef => ({ file, line: `${prefix} ${name}\\(`, label: name });
const method = (file: string, name: string, owner: string): SourceRef => ({ file, line: `^  ${name}\\(`, label: `${owner}.${name}` });

export const EQUATIONS: readonly Equation[] = [
  {
    section: '§1 Categories', panel: 'decompose',
    tex: String.raw`M = \left[\, W_1;\ W_2;\ \dots;\ W_L \,\right] \in \mathbb{R}^{(\sum_i \mathrm{out}_i) \times \mathrm{in}}`,
    note: 'The weights of one category (the same role in every block: query, key, …), ordered by layer index and stacked.',
    source: fn('src/frod/projection.ts', 'stackWeights'),
  },
  {
    section: '§2 The shared basis (qr-eig path)', panel: 'decompose',
    tex: String.raw`\begin{gathered} M = QR \\ T = \frac{1}{L}\sum_{i=1}^{L}\left(Q_i^\top Q_i + \alpha I\right)^{-1} \end{gathered}`,
    note: 'Qᵢ are the rows of Q that belong to layer i. α keeps every QᵢᵀQᵢ + αI invertible: QᵢᵀQᵢ is singular whenever a layer has fewer outputs than inputs, so α is required, not cosmetic.',
    source: fn('src/frod/projection.ts', 'averagedInverseGram'),
  },
  {
    section: '§2 The shared basis (qr-eig path)', panel: 'decompose',
    tex: String.raw`\begin{gathered} T = E\,\mathrm{diag}(\mu)\,E^\top,\qquad V = R^\top E \\ \mu_j \ge \frac{L}{1 + L\alpha} \end{gathered}`,
    note: 'The π-regularised higher-order GSVD (HO-GSVD / HO-CSD, Kempf, Goulart & Duncan). μⱼ equals the bound exactly when direction j is shared evenly by the L layers. V is invertible, not orthogonal.',
    source: fn('src/frod/projection.ts', 'categoryProjection'),
  },
  {
    section: '§3 One layer in that basis', panel: 'decompose',
    tex: String.raw`\begin{gathered} B = W V^{-\top},\qquad \lambda_j = \lVert B_{:,j} \rVert \\ U = B\,\mathrm{diag}(\lambda)^{-1},\qquad W = U\,\mathrm{diag}(\lambda)\,V^\top \end{gathered}`,
    note: 'λ has one entry per basis direction (column of V), not per input feature. U has unit columns, orthonormal only for one or two layers: this is not an SVD.',
    source: fn('src/frod/decompose.ts', 'decomposeWeight'),
  },
  {
    section: '§2 The shared basis (qr-eig path)', panel: 'decompose',
    tex: String.raw`\sum_{i=1}^{L} \lambda_{ij}^2 = 1`,
    note: 'On the qr-eig path λᵢⱼ is the square root of layer i’s share of direction j (Bᵢ = QᵢE and Σᵢ QᵢᵀQᵢ = I).',
    source: fn('src/frod/decompose.ts', 'decomposeWeight'),
  },
  {
    section: '§6 The svd path', panel: 'decompose',
    tex: String.raw`\begin{gathered} \text{rows}(M) < \mathrm{in}: \\ M = P\,\Sigma\,V^\top,\quad V \text{ all right singular vectors} \end{gathered}`,
    note: 'A stack with fewer rows than columns takes the svd path; the spectrum shown is then the singular values.',
    source: fn('src/frod/projection.ts', 'svdProjection', 'function'),
  },
  {
    section: '§4 The sparse couplings S', panel: 'rotate',
    tex: String.raw`\mathrm{nnz} = \min\!\left(\lfloor \mathrm{in}^2 \rho \rfloor,\ \mathrm{in}(\mathrm{in}-1)\right)`,
    note: 'S has a zero diagonal; the positions of its nnz trainable entries are drawn once per category from a seeded generator (ρ = sparse_rate).',
    source: fn('src/frod/pattern.ts', 'samplePattern'),
  },
  {
    section: '§4 The sparse couplings S', panel: 'rotate',
    tex: String.raw`\begin{gathered} W' = U\left(S + \mathrm{diag}\,\lambda\right)V^\top \\ \Delta W = W' - W = U\left(S + \mathrm{diag}(\lambda - \lambda_0)\right)V^\top \end{gathered}`,
    note: 'ΔW has the rank of its middle factor (U of full column rank, V invertible). It can be full rank — generically once every λ has moved — but S alone gives a lower rank, and an unmoved λ with a triangular pattern drops it.',
    source: fn('src/frod/decompose.ts', 'adaptedWeight'),
  },
  {
    section: '§4 The sparse couplings S', panel: 'rotate',
    tex: String.raw`\begin{gathered} \text{direction } c \mapsto \lambda_c u_c + \sum_r S_{rc}\, u_r \\ \theta \approx \arctan\frac{S_{rc}}{\lambda_c} \end{gathered}`,
    note: 'S is neither orthogonal nor skew-symmetric: one entry S[r,c] tilts direction c toward uᵣ by about θ. The diagonal is excluded because S[c,c] would only add to λ_c.',
    source: fn('src/frod/decompose.ts', 'rotatedBasis'),
  },
  {
    section: '§9 Budget against LoRA', panel: 'rotate',
    tex: String.raw`\begin{gathered} \text{FRoD: } \mathrm{in} + \lfloor \rho\,\mathrm{in}^2 \rfloor \\ \text{LoRA, rank } r\text{: } r(\mathrm{in} + \mathrm{out}) \end{gathered}`,
    note: 'FRoD’s budget does not depend on out. A LoRA update of the same budget has rank at most r.',
    source: fn('src/frod/pattern.ts', 'sparseNnz'),
  },
  {
    section: '§5 The forward pass', panel: 'train',
    tex: String.raw`\begin{gathered} z = xV \\ y = \left(z S^\top + z \odot \lambda\right) U^\top + b \end{gathered}`,
    note: 'With one adapter and no dropout the layer never forms W′: two dense in-wide products and nnz multiply-adds per row.',
    source: method('src/frod/layer.ts', 'adapterOutput', 'FrodLinear'),
  },
  {
    section: '§5 The forward pass', panel: 'train',
    tex: String.raw`y = xW^\top + b + \sum_a \mathrm{drop}_a(x)\left(W'_a - W\right)^\top`,
    note: 'With dropout, or several adapters, each adapter adds only its difference from the base layer, each with its own mask.',
    source: { file: 'src/frod/layer.ts', line: '^  override forward\\(', label: 'FrodLinear.forward' },
  },
  {
    section: '§8 Merging and unmerging', panel: 'train',
    tex: String.raw`W \leftarrow W + \sum_a \left(W'_a - W\right)`,
    note: 'Computed in float64 from the factors and rounded once; unmerge copies the kept original back, bit for bit.',
    source: method('src/frod/layer.ts', 'merge', 'FrodLinear'),
  },
];
