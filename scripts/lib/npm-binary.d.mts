// Types of npm-binary.mjs, for the tests that import it (the scripts stay plain JavaScript so
// `node scripts/…` runs them before anything is built).
export declare const ROOT: string;
export declare const CACHE_ROOT: string;
export declare function runs(file: string, args: string[]): boolean;
export declare function npmUnpack(spec: string, cacheDir: string): string;
export declare function zipEntry(zip: Buffer, name: string): Buffer;
export declare function installExecutable(bytesOrPath: Buffer | string, dest: string): string;
