// Whether this Node.js has zstd (node:zlib, from 22.15 / 23.8): the config check needs it
// without loading the Parquet writer.

import * as zlib from 'node:zlib';

export type ZstdCompress = (input: Uint8Array) => Uint8Array;
export const zstdCompressSync = (zlib as unknown as { zstdCompressSync?: ZstdCompress }).zstdCompressSync;
export const ZSTD_AVAILABLE = typeof zstdCompressSync === 'function';
