// A small parser for the Prometheus text exposition format (version 0.0.4), enough for
// `zsf top` to read our own /metrics: `# TYPE` lines, samples with escaped label values,
// NaN/+Inf/-Inf and optional timestamps. prom-client only writes this format; it does not
// read it, and a parser is not worth a dependency.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  samples: Sample[];
  /** metric family name -> counter | gauge | histogram | summary | untyped */
  types: Map<string, string>;
}

export class PromParseError extends Error {
  constructor(line: number, message: string) {
    super(`metrics line ${line}: ${message}`);
    this.name = 'PromParseError';
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parseValue(token: string): number {
  switch (token) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default: {
      const v = Number(token);
      if (token === '' || Number.isNaN(v)) throw new Error(`invalid value ${JSON.stringify(token)}`);
      return v;
    }
  }
}

export function parsePromText(text: string): ParsedMetrics {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) types.set(m[1]!, m[2]!);
      continue; // HELP and comments
    }
    try {
      samples.push(parseSample(line));
    } catch (err) {
      throw new PromParseError(i + 1, (err as Error).message);
    }
  }
  return { samples, types };
}

function parseSample(line: string): Sample {
  const nameMatch = NAME.exec(line);
  if (!nameMatch) throw new Error(`expected a metric name: ${JSON.stringify(line.slice(0, 80))}`);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(pos));
      if (!ln) throw new Error(`expected a label name at column ${pos + 1}`);
      pos += ln[0].length;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '=') throw new Error(`expected "=" after label ${ln[0]}`);
      pos++;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '"') throw new Error(`expected a quoted value for label ${ln[0]}`);
      pos++;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new Error(`unterminated value of label ${ln[0]}`);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          value += e === 'n' ? '\n' : e === '"' ? '"' : e === '\\' ? '\\' : `\\${e ?? ''}`;
        } else value += c;
      }
      labels[ln[0]] = value;
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new Error(`expected "," or "}" after label ${ln[0]}`);
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new Error(`expected "value [timestamp]" after ${name}`);
  return { name, labels, value: parseValue(rest[0]!) };
}
