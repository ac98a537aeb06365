// The chart rendered by a real Helm: runs only where a `helm` binary is on the PATH (or
// ZSF_HELM=/path/to/helm); CI has none, so there it is skipped and helm-chart.test.ts's static
// checks are what CI knows. Here the rendered output is checked against what the static tests
// assume (the config the ConfigMap carries, the pod's security settings, the selectors).

import { spawnSync } from 'node:child_process';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART_DIR } from './chart-gen.js';
import { EXAMPLES_HELM_DIR, helmExampleFiles, mergedValues, renderedConfig, validateChartConfig, type Json } from './helpers.js';

const HELM = process.env.ZSF_HELM || 'helm';
const helmVersion = spawnSync(HELM, ['version', '--short'], { encoding: 'utf8' });
const hasHelm = helmVersion.status === 0;

function helm(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(HELM, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Json;
  data?: Record<string, string>;
}

function render(args: string[] = []): K8sObject[] {
  const r = helm(['template', 'zsf', CHART_DIR, '--namespace', 'zsf', ...args]);
  if (r.code !== 0) throw new Error(`helm template ${args.join(' ')} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
const one = (objs: K8sObject[], kind: string, nameSuffix = '') => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  expect(found, `${kind} *${nameSuffix}`).toHaveLength(1);
  return found[0]!;
};

describe.skipIf(!hasHelm)(`chart rendered by ${hasHelm ? helmVersion.stdout.trim() : 'helm (not installed)'}`, () => {
  const cases: [string, string[], string | undefined][] = [
    ['values.yaml', [], undefined],
    ...helmExampleFiles().map((f) => [`examples/helm/${f}`, ['-f', `${EXAMPLES_HELM_DIR}/${f}`], f] as [string, string[], string]),
  ];

  it.each(cases)('%s: helm lint --strict passes', (_name, args) => {
    const r = helm(['lint', '--strict', CHART_DIR, ...args]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it.each(cases)('%s: the ConfigMap carries the config the static tests validate, and zsf accepts it', (_name, args, file) => {
    const objs = render(args);
    const cm = one(objs, 'ConfigMap', 'forwarder');
    const config = parseYaml(cm.data!['config.yaml']!) as Json;
    const values = mergedValues(file);
    expect(config).toEqual(renderedConfig(values)); // the static tests' model of the template is exact
    const loaded = validateChartConfig(values, config);
    expect(loaded.pod.problems).toEqual([]);
    expect(loaded.config.api.listen).toBe('0.0.0.0:9464');
  });

  it.each(cases)('%s: every object is namespaced and labelled, the pod is locked down and keeps its data on a claim', (_name, args) => {
    const objs = render(args);
    for (const o of objs) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('zsf');
      expect(o.metadata.labels?.['app.kubernetes.io/instance'], `${o.kind}/${o.metadata.name}`).toBe('zsf');
    }
    const sts = one(objs, 'StatefulSet') as K8sObject & { spec: { replicas: number; serviceName: string; template: { metadata: { annotations: Record<string, string>; labels: Record<string, string> }; spec: Json }; volumeClaimTemplates: Json[] } };
    expect(sts.spec.replicas).toBe(1);
    expect(one(objs, 'Service', '-headless').metadata.name).toBe(sts.spec.serviceName);
    const pod = sts.spec.template.spec as { securityContext: Json; automountServiceAccountToken: boolean; containers: { securityContext: Json; args: string[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[]; volumes: { name: string; secret?: { defaultMode: number } }[] };
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0]!;
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.args).toEqual(['run', '--config', '/etc/zsf/config.yaml']);
    const writable = c.volumeMounts.filter((m) => !m.readOnly).map((m) => m.mountPath);
    expect(writable.sort()).toEqual(['/data', '/tmp']);
    expect(sts.spec.volumeClaimTemplates.map((v) => (v as { metadata: { name: string } }).metadata.name)).toEqual(['data']);
    const secretVolume = pod.volumes.find((v) => v.name === 'secrets');
    if (secretVolume) expect(secretVolume.secret!.defaultMode).toBe(0o440);
    expect(sts.spec.template.metadata.annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
    // the ServiceMonitor (when there is one) selects the metrics Service only, not the headless one
    const sm = objs.find((o) => o.kind === 'ServiceMonitor');
    if (sm) {
      const sel = (sm.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const matching = objs.filter((o) => o.kind === 'Service' && Object.entries(sel).every(([k, v]) => o.metadata.labels?.[k] === v));
      expect(matching.map((s) => s.metadata.name)).toEqual(['zsf-zendesk-siem-forwarder']);
    }
    // the helm test pod is not one of the release's pods (NetworkPolicy, PDB, Service selectors)
    const selector = (sts.spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    const testPod = objs.find((o) => o.kind === 'Pod')!;
    expect(Object.entries(selector).every(([k, v]) => testPod.metadata.labels?.[k] === v)).toBe(false);
  });

  it('rolls the pod when the config changes, and only then', () => {
    const checksum = (args: string[]) => (one(render(args), 'StatefulSet').spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['checksum/config'];
    const base = checksum([]);
    expect(checksum(['--set', 'resources.limits.memory=2Gi'])).toBe(base);
    expect(checksum(['--set', 'config.log.level=debug'])).not.toBe(base);
  });

  it('refuses two replicas and chart-managed config keys, naming the value', () => {
    const two = helm(['template', 'zsf', CHART_DIR, '--set', 'replicas=2']);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toMatch(/replicas/);
    const dataDir = helm(['template', 'zsf', CHART_DIR, '--set', 'config.dataDir=/elsewhere']);
    expect(dataDir.code).not.toBe(0);
    expect(dataDir.stderr).toMatch(/dataDir/);
  });

  it('renders the alerts with this release selector and no leftover template braces outside annotations', () => {
    const rule = one(render(['--set', 'prometheusRule.enabled=true,serviceMonitor.enabled=true']), 'PrometheusRule');
    const rules = (rule.spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups[0]!.rules;
    expect(rules.map((r) => r.alert)).toHaveLength(8);
    for (const r of rules) {
      expect(r.expr, r.alert).toContain('namespace="zsf", service="zsf-zendesk-siem-forwarder"');
      expect(r.expr, r.alert).not.toMatch(/\{\{|\}\}/);
    }
  });
});
