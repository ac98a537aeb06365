// `zsf checkpoints list|reset`: inspect each source's committed state, or move one aside.

import type { Command } from 'commander';
import { loadConfigFile } from '../app/config.js';
import { listCheckpoints, resetCheckpoint } from '../core/checkpoints.js';
import { acquireDataDirLock } from '../core/datadir-lock.js';
import { UsageError } from './usage-error.js';

export function registerCheckpointsCommand(program: Command): void {
  const cp = program.command('checkpoints').description('inspect or reset source checkpoints');
  cp.command('list')
    .description("show each source's committed checkpoint")
    .requiredOption('-c, --config <file>', 'config file')
    .option('--json', 'print JSON')
    .action(async (o: { config: string; json?: boolean }) => {
      const { config } = loadConfigFile(o.config);
      const list = await listCheckpoints(config.dataDir);
      const configured = new Set(config.sources.map((s) => s.id));
      const rows = [
        ...list.map((c) => ({ ...c, configured: configured.has(c.source) })),
        ...[...configured].filter((id) => !list.some((c) => c.source === id)).map((source) => ({ source, configured: true, file: undefined, error: undefined })),
      ];
      if (o.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      for (const r of rows) {
        const reached = r.file?.checkpointTime !== undefined ? new Date(r.file.checkpointTime).toISOString() : '-';
        const state = r.error ? `ERROR ${r.error}` : r.file ? `reached ${reached} updated ${r.file.updatedAt} state ${JSON.stringify(r.file.state).slice(0, 200)}` : 'no checkpoint yet (starts at startTime)';
        console.log(`${r.source}${r.configured ? '' : ' (not in config)'}: ${state}`);
      }
    });
  cp.command('reset <source>')
    .description('move a checkpoint aside so the source starts again from its startTime (the old file is kept as a backup)')
    .requiredOption('-c, --config <file>', 'config file')
    .action(async (source: string, o: { config: string }) => {
      const { config } = loadConfigFile(o.config);
      const known = new Set([...config.sources.map((s) => s.id), ...(await listCheckpoints(config.dataDir)).map((c) => c.source)]);
      if (!known.has(source)) throw new UsageError(`unknown source "${source}"; known: ${[...known].sort().join(', ') || '(none)'}`);
      // Holding the dataDir lock: refuses while an instance runs (it would overwrite the reset
      // with its next commit), and no instance starts halfway through.
      const lock = await acquireDataDirLock(config.dataDir);
      let backup: string | undefined;
      try {
        backup = await resetCheckpoint(config.dataDir, source);
      } finally {
        lock.release();
      }
      console.log(backup ? `checkpoint of ${source} moved to ${backup}` : `${source} has no checkpoint; nothing to reset`);
    });
}
