// An S3 bucket/prefix as an archive store: manifests and heads are small PutObjects carrying
// the sink's own object headers (encryption, Object Lock...), reads are GetObject, the listing
// is ListObjectsV2 under the prefix.

import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArchiveStore } from './store.js';

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err instanceof NoSuchKey || e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export function s3Store(client: S3Client, bucket: string, prefix: string, putParams: () => Partial<PutObjectCommandInput> = () => ({})): ArchiveStore {
  const root = prefix.replace(/^\/+|\/+$/g, '');
  return {
    location: `s3://${bucket}${root ? `/${root}` : ''}`,
    root,
    async put(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: 'application/json', ...putParams() }));
    },
    async get(key) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async *list() {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(root ? { Prefix: `${root}/` } : {}), ...(token ? { ContinuationToken: token } : {}) }));
        for (const o of page.Contents ?? []) if (o.Key) yield { key: o.Key, size: o.Size ?? 0 };
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async retention(key) {
      try {
        const r = await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }));
        const mode = r.Retention?.Mode;
        const until = r.Retention?.RetainUntilDate;
        return { ...(mode ? { mode } : {}), ...(until ? { retainUntil: until.toISOString() } : {}) };
      } catch {
        return undefined; // not configured, or the store has no Object Lock
      }
    },
  };
}
