export { main } from './main';
export type { CliContext } from './context';
