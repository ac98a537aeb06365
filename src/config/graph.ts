// Graph validation before anything runs: unique ids, inputs that exist, no cycles,
// and nothing produced that nobody consumes.

import type { Config } from './schema.js';
import { closest } from './errors.js';

export interface Graph {
  /** For each source/transform id: the ids of the transforms and sinks that read it. */
  downstream: Map<string, string[]>;
  kind: Map<string, 'source' | 'transform' | 'sink'>;
}

export function validateGraph(config: Pick<Config, 'sources' | 'transforms' | 'sinks'>): { graph: Graph; problems: string[] } {
  const problems: string[] = [];
  const kind = new Map<string, 'source' | 'transform' | 'sink'>();
  const where = new Map<string, string>();
  const sections = [
    ['sources', 'source', config.sources],
    ['transforms', 'transform', config.transforms],
    ['sinks', 'sink', config.sinks],
  ] as const;
  for (const [section, k, list] of sections) {
    (list as { id: string }[]).forEach((c, i) => {
      const at = `${section}[${i}].id`;
      if (kind.has(c.id)) problems.push(`${at}: duplicate id "${c.id}" (also at ${where.get(c.id)}); ids must be unique across sources, transforms and sinks`);
      else {
        kind.set(c.id, k);
        where.set(c.id, at);
      }
    });
  }

  const downstream = new Map<string, string[]>();
  for (const id of kind.keys()) if (kind.get(id) !== 'sink') downstream.set(id, []);
  const producers = [...downstream.keys()];
  for (const [section, , list] of sections) {
    if (section === 'sources') continue;
    (list as { id: string; inputs: string[] }[]).forEach((c, i) => {
      c.inputs.forEach((input, j) => {
        const at = `${section}[${i}].inputs[${j}]`;
        const k = kind.get(input);
        if (!k) {
          const hint = closest(input, producers);
          problems.push(`${at}: unknown input "${input}"${hint ? ` (did you mean "${hint}"?)` : ''}; inputs name a source or transform id`);
        } else if (k === 'sink') problems.push(`${at}: "${input}" is a sink; sinks produce nothing to read`);
        else if (input === c.id) problems.push(`${at}: "${c.id}" lists itself as input`);
        else if (!downstream.get(input)!.includes(c.id)) downstream.get(input)!.push(c.id);
      });
    });
  }

  // Cycles can only run through transforms.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      problems.push(`transforms: cycle ${[...trail.slice(trail.indexOf(id)), id].join(' -> ')}`);
      return;
    }
    state.set(id, 'visiting');
    for (const next of downstream.get(id) ?? []) if (kind.get(next) === 'transform') visit(next, [...trail, id]);
    state.set(id, 'done');
  };
  for (const t of config.transforms) visit(t.id, []);

  for (const [id, outs] of downstream) {
    if (outs.length === 0) problems.push(`${where.get(id)}: "${id}" is not an input of any transform or sink; remove it or add it to some inputs`);
  }
  return { graph: { downstream, kind }, problems };
}
