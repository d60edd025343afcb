// Runs in each test file's own module registry, so it sees the same helpers the file used.
import { removeTestLifecycleDir } from './test/helpers/cli';

afterAll(removeTestLifecycleDir);
