// Where an archive lives, as the integrity writer and `zsf verify` see it: keys, bytes, a
// listing. A folder (file sink) and an S3 bucket/prefix (S3 sink) implement it.

export interface ArchiveObjectInfo {
  key: string;
  size: number;
}

export interface Retention {
  mode?: string;
  retainUntil?: string;
}

export interface ArchiveStore {
  /** Human name for reports: `s3://bucket/prefix` or the folder. */
  readonly location: string;
  /** The key prefix of this archive inside the store ('' for a folder). */
  readonly root: string;
  put(key: string, bytes: Buffer): Promise<void>;
  /** The object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** Every object under the archive root. */
  list(): AsyncIterable<ArchiveObjectInfo>;
  /** Object Lock settings read back, where the store has them. */
  retention?(key: string): Promise<Retention | undefined>;
}
