/**
 * A child process for the crash-safety tests of src/peft/adapterCommit.ts (not a test file): writes the
 * adapters labelled argv[3] into directory argv[2] with {@link writeAdapterDirectories}. Run with
 * FROD_TEST_CRASH_AT=<point> it is killed (SIGKILL) at that point of the write; FROD_TEST_REPEAT=n writes n times.
 *
 *   node --import tsx test/peft/writeAdapterChild.ts DIR LABEL [SUBDIR...]
 */
import { writeAdapterDirectories } from '../../src/peft/adapterCommit';
import { adapterContents } from './adapterContents';

const [dir, label, ...subdirs] = process.argv.slice(2);
const writes = (subdirs.length ? subdirs : ['']).map((subdir) => ({ subdir, files: adapterContents(label, subdir) }));
for (let i = Number(process.env.FROD_TEST_REPEAT ?? 1); i > 0; i--) writeAdapterDirectories(dir, writes, 'child');
