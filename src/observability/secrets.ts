// Every secret the config resolved is registered here, and every string that leaves the
// process (logs, errors, metrics labels, dead letters) is passed through `scrub`.

const MASK = '[REDACTED]';

export class Secrets {
  private values = new Set<string>();
  private pattern: RegExp | null = null;

  add(value: string | undefined | null): void {
    // Very short values would mask ordinary text; they are not plausible secrets.
    if (!value || value.length < 4 || this.values.has(value)) return;
    this.values.add(value);
    // Also the base64 form, as it appears inside Basic auth headers.
    this.values.add(Buffer.from(value).toString('base64'));
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  get size(): number {
    return this.values.size;
  }

  scrub(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
