// Placing files: the target a sink chooses, the safe writer that walks the tree and swaps a file in
// whole, the memory store and its links, and the roots outside ComfyUI a sink may declare.
export { declaredRoots, type DeclaredRoot, type DeclaredRoots } from './roots';
export { MEMORY_FS_TYPES, MEMORY_ROOTS, MemoryStore, memoryFsType, Store, type Placement, type StoreMode, type StoreOptions } from './store';
