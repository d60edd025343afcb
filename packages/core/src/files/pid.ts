import { errnoCode } from '../errors';

/** Whether a process with this pid exists; EPERM means it does, it is just not ours to signal. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}
