// Source `integrity_heads`: the signed chain heads of this process's integrity-enabled sinks,
// as `zsf.integrity` events, so they can be routed to the SIEM. A head kept away from the
// archive is what exposes a deleted tail (docs/integrity.md, threat model).
//
// Heads are not checkpointed: one missed by a crash is covered by the next, since every head
// covers its whole chain up to its seq. In `--once` runs the source hands over the heads signed
// so far and returns (the final head, signed at shutdown, is in the archive and the log).

import type { BuildEnv } from '../core/plugin.js';
import { defineSource } from '../core/plugin.js';
import type { SourceRecord } from '../core/types.js';
import type { SignedHead } from './signer.js';

export interface HeadsHub {
  publish(sink: string, head: SignedHead): void;
  /** Heads published so far and not yet taken, then every new one; returns the unsubscribe. */
  subscribe(fn: (sink: string, head: SignedHead) => void): () => void;
}

/** Heads kept while no source takes them (the newest win). */
const HUB_LIMIT = 1000;

export function headsHub(env: Pick<BuildEnv, 'shared'>): HeadsHub {
  return env.shared('zsf.integrity.heads', () => {
    const waiting: [string, SignedHead][] = [];
    const listeners = new Set<(sink: string, head: SignedHead) => void>();
    return {
      publish(sink, head) {
        if (!listeners.size) {
          waiting.push([sink, head]);
          if (waiting.length > HUB_LIMIT) waiting.shift();
        }
        for (const l of listeners) l(sink, head);
      },
      subscribe(fn) {
        for (const [s, h] of waiting.splice(0)) fn(s, h);
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    };
  });
}

export function headRecord(sink: string, signed: SignedHead): SourceRecord {
  return {
    account: 'zsf',
    stream: 'zsf.integrity',
    id: `${sink}:${signed.head.chain}:${signed.head.seq}`,
    time: signed.head.time,
    raw: { event: 'zsf.integrity', sink, head: signed.head, signature: signed.signature },
  };
}

export const integrityHeadsSource = defineSource({
  type: 'integrity_heads',
  description: 'Signed chain heads of the integrity-enabled sinks of this process, as zsf.integrity events (route them to the SIEM)',
  options: {},
  create(_config, env) {
    const hub = headsHub(env);
    return {
      async run(ctx) {
        const queue: SourceRecord[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = hub.subscribe((sink, head) => {
          queue.push(headRecord(sink, head));
          wake?.();
        });
        const stopped = new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
        try {
          for (;;) {
            while (queue.length) {
              const records = queue.splice(0);
              await ctx.emit({ records, checkpoint: {}, checkpointTime: records[records.length - 1]!.time });
            }
            if (ctx.once || ctx.signal.aborted) return;
            await Promise.race([stopped, new Promise<void>((r) => (wake = r))]);
            wake = undefined;
          }
        } finally {
          unsubscribe();
        }
      },
    };
  },
});
