/**
 * Reading a safetensors file from a path (Node only, through src/util's lazy loaders) with the checks that
 * come before any large read: the path must be a regular file (a device such as /dev/zero, a pipe or a
 * directory is refused), and its 8-byte header length must fit the documented limit and the file size
 * ({@link headerLengthOf}). Only then is the file read.
 */
import { InputFileError, openRegularFile, readExactly } from '../../util/readInput';
import { SafetensorsError, headerLengthOf } from './header';

/**
 * The bytes of safetensors file `file`, after the checks above; every problem is a one-line
 * {@link SafetensorsError} naming the file (`cannot read the file (…)`, `is a device, expected a regular
 * file`, `header length … is absurd`, …). `what` names the caller in the error a browser gets.
 */
export function readSafetensorsFileBytes(file: string, what = 'readSafetensorsFileBytes'): Uint8Array {
  let opened;
  try {
    opened = openRegularFile(file, what);
  } catch (err) {
    if (err instanceof InputFileError) throw new SafetensorsError(file, err.problem);
    throw err;
  }
  const { fs, fd, size } = opened;
  try {
    const prefix = new Uint8Array(Math.min(8, size));
    readExactly(fs, fd, file, prefix, 0, prefix.length, 0);
    headerLengthOf(prefix, size, file);
    const bytes = new Uint8Array(size);
    readExactly(fs, fd, file, bytes, 0, size, 0);
    return bytes;
  } catch (err) {
    if (err instanceof InputFileError) throw new SafetensorsError(file, err.problem);
    if (err instanceof SafetensorsError) throw err;
    throw new SafetensorsError(file, `cannot read the file (${String((err as Error).message).split('\n')[0]})`);
  } finally {
    fs.closeSync(fd);
  }
}
