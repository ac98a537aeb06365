// The auditor's report of a verify run, as Markdown (for people) or JSON (for tools).

import { ALLOWED_FINDINGS, type VerifyReport } from './verify.js';

export function reportJson(r: VerifyReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

const cell = (s: string | number): string => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function reportMarkdown(r: VerifyReport): string {
  const out: string[] = [];
  out.push(`# Archive integrity report`, '');
  out.push(`- Archive: \`${r.location}\``, `- Verified at: ${r.verifiedAt}`, `- Objects listed: ${r.objects}, bytes read: ${r.bytesRead}`);
  out.push(`- **Result: ${r.whole ? 'WHOLE — every chain is intact' : 'NOT WHOLE — see the findings'}**`, '');
  out.push('## Chains', '', '| chain | status | entries | last seq | signed through | unsigned tail | records | redelivered records | bytes |', '|---|---|---|---|---|---|---|---|---|');
  for (const c of r.chains) out.push(`| ${cell(c.chain)} | ${c.whole ? 'whole' : 'BROKEN'} | ${c.entries} | ${c.lastSeq} | ${c.signedSeq} | ${c.unsignedTail} | ${c.records} | ${c.duplicateRecords} | ${c.bytes} |`);
  if (!r.chains.length) out.push('| (no chain found) | | | | | | | | |');
  out.push('');
  const problems = r.findings.filter((f) => !ALLOWED_FINDINGS.has(f.kind));
  const allowed = r.findings.filter((f) => ALLOWED_FINDINGS.has(f.kind));
  out.push(`## Findings (${problems.length})`, '');
  if (problems.length) {
    out.push('| kind | chain | seq | object key | detail |', '|---|---|---|---|---|');
    for (const f of problems) out.push(`| ${f.kind} | ${cell(f.chain ?? '')} | ${f.seq ?? ''} | \`${cell(f.key)}\` | ${cell(f.detail)} |`);
  } else out.push('None.');
  out.push('', `## Allowed findings (${allowed.length})`, '', 'Records delivered more than once (at-least-once delivery after a restart); every copy is in the chain.', '');
  for (const f of allowed) out.push(`- ${f.kind} ${f.chain ?? ''} #${f.seq ?? ''} \`${f.key}\`: ${f.detail}`);
  out.push('', '## Records per day (UTC, by the first record time of each object)', '');
  for (const c of r.chains) {
    out.push(`### ${c.chain}`, '', '| day | records |', '|---|---|');
    for (const [day, n] of Object.entries(c.recordsPerDay).sort()) out.push(`| ${day} | ${n} |`);
    out.push('');
  }
  out.push('## Signed heads', '', '| chain | seq | signed at | key id | valid | where |', '|---|---|---|---|---|---|');
  for (const c of r.chains) for (const h of c.heads) out.push(`| ${cell(c.chain)} | ${h.seq} | ${h.time} | ${h.keyId} | ${h.valid ? 'yes' : 'NO'} | \`${cell(h.source)}\` |`);
  out.push('', '## Retention (read back from the newest object of each chain)', '');
  const withRetention = r.chains.filter((c) => c.retention);
  if (withRetention.length) {
    out.push('| chain | object | mode | retain until |', '|---|---|---|---|');
    for (const c of withRetention) out.push(`| ${cell(c.chain)} | \`${cell(c.retention!.key)}\` | ${c.retention!.mode ?? ''} | ${c.retention!.retainUntil ?? ''} |`);
  } else out.push('The store returned no Object Lock retention (not configured, or a store without Object Lock such as a folder).');
  return out.join('\n') + '\n';
}
