// The few Datadog configuration endpoints `zsf content push datadog` calls, for tests, from the
// published API: v1 logs pipelines (GET/POST /api/v1/logs/config/pipelines, PUT .../{id}),
// v2 security monitoring rules (GET/POST /api/v2/security_monitoring/rules with page[size] and
// page[number], PUT .../{id}) and v1 dashboards (GET/POST /api/v1/dashboard with count/start,
// PUT .../{id}). Every request must carry DD-API-KEY and DD-APPLICATION-KEY (403 otherwise).
// Objects are kept in memory with ids; every request is recorded. Loopback, port 0.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface ConfigRequest {
  method: string;
  path: string;
  apiKey?: string;
  appKey?: string;
}

export interface DatadogConfigReceiver {
  url: string;
  pipelines: Map<string, Json>;
  rules: Map<string, Json>;
  dashboards: Map<string, Json>;
  requests: ConfigRequest[];
  close(): Promise<void>;
}

export async function startDatadogConfigReceiver(keys: { apiKey: string; appKey: string }, seed: { rules?: Json[] } = {}): Promise<DatadogConfigReceiver> {
  const pipelines = new Map<string, Json>();
  const rules = new Map<string, Json>();
  const dashboards = new Map<string, Json>();
  const requests: ConfigRequest[] = [];
  let next = 1;
  for (const r of seed.rules ?? []) rules.set(String(r.id), r);

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const apiKey = req.headers['dd-api-key'] as string | undefined;
    const appKey = req.headers['dd-application-key'] as string | undefined;
    requests.push({ method: req.method ?? '', path: url.pathname, ...(apiKey ? { apiKey } : {}), ...(appKey ? { appKey } : {}) });
    if (apiKey !== keys.apiKey || appKey !== keys.appKey) return send(res, 403, { errors: ['Forbidden'] });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : {};
    const route = (base: string) => url.pathname === base || url.pathname.startsWith(`${base}/`);
    const idOf = (base: string) => decodeURIComponent(url.pathname.slice(base.length + 1));

    if (route('/api/v1/logs/config/pipelines')) {
      const base = '/api/v1/logs/config/pipelines';
      if (req.method === 'GET' && url.pathname === base) return send(res, 200, [...pipelines.values()]);
      if (req.method === 'POST' && url.pathname === base) {
        const p = { ...body, id: `pipeline-${next++}`, type: 'pipeline', is_read_only: false };
        pipelines.set(p.id, p);
        return send(res, 200, p);
      }
      if (req.method === 'PUT' && pipelines.has(idOf(base))) {
        const p = { ...body, id: idOf(base), type: 'pipeline', is_read_only: false };
        pipelines.set(p.id, p);
        return send(res, 200, p);
      }
    }
    if (route('/api/v2/security_monitoring/rules')) {
      const base = '/api/v2/security_monitoring/rules';
      if (req.method === 'GET' && url.pathname === base) {
        const size = Number(url.searchParams.get('page[size]') ?? 10);
        const number = Number(url.searchParams.get('page[number]') ?? 0);
        const all = [...rules.values()];
        return send(res, 200, { data: all.slice(number * size, (number + 1) * size), meta: { page: { total_count: all.length, total_filtered_count: all.length } } });
      }
      if (req.method === 'POST' && url.pathname === base) {
        const r = { ...body, id: `rule-${next++}`, isDefault: false, isDeleted: false, version: 1 };
        rules.set(r.id, r);
        return send(res, 200, r);
      }
      if (req.method === 'PUT' && rules.has(idOf(base))) {
        const old = rules.get(idOf(base))!;
        const r = { ...old, ...body, id: idOf(base), version: Number(old.version ?? 1) + 1 };
        rules.set(r.id, r);
        return send(res, 200, r);
      }
    }
    if (route('/api/v1/dashboard')) {
      const base = '/api/v1/dashboard';
      if (req.method === 'GET' && url.pathname === base) {
        const count = Number(url.searchParams.get('count') ?? 100);
        const start = Number(url.searchParams.get('start') ?? 0);
        const summaries = [...dashboards.values()].map((d) => ({ id: d.id, title: d.title, layout_type: d.layout_type }));
        return send(res, 200, { dashboards: summaries.slice(start, start + count) });
      }
      if (req.method === 'POST' && url.pathname === base) {
        const d = { ...body, id: `dash-${next++}` };
        dashboards.set(String(d.id), d);
        return send(res, 200, d);
      }
      if (req.method === 'PUT' && dashboards.has(idOf(base))) {
        const d = { ...body, id: idOf(base) };
        dashboards.set(String(d.id), d);
        return send(res, 200, d);
      }
    }
    return send(res, 404, { errors: [`no route for ${req.method ?? ''} ${url.pathname}`] });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 400, { errors: [String(err)] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pipelines,
    rules,
    dashboards,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
