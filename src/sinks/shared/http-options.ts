// Config fragments shared by every HTTP sink, so TLS, proxy and compression are spelled
// the same way in each sink's YAML.

import { z } from 'zod';

export const tlsOptions = z
  .strictObject({
    caFile: z.string().optional().describe('PEM file with CA certificates to trust in addition to the system ones'),
    certFile: z.string().optional().describe('PEM client certificate (mutual TLS)'),
    keyFile: z.string().optional().describe('PEM private key for certFile'),
    serverName: z.string().optional().describe('SNI / certificate name to verify, when it differs from the endpoint host'),
    insecureSkipVerify: z.boolean().default(false).describe('Disable certificate verification. Never in production.'),
  })
  .refine((t) => Boolean(t.certFile) === Boolean(t.keyFile), { message: 'certFile and keyFile must be given together' })
  .describe('TLS settings; verification is on by default');

export const compressionOptions = z
  .strictObject({
    type: z.enum(['gzip', 'none']).default('gzip').describe('Request body compression'),
    level: z.number().int().min(1).max(9).default(6).describe('gzip level'),
  })
  .describe('Request body compression');

export const allowInsecureHttp = z
  .boolean()
  .default(false)
  .describe('Allow a plain http:// endpoint on a non-loopback host (records and credentials then cross the network unencrypted)');

/** Endpoint fields checked for plain http. */
export const ENDPOINT_KEYS = ['endpoint', 'apiEndpoint', 'uri'] as const;

/** 127.0.0.0/8, ::1 and localhost: plain http never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Zod refinement of a sink config: refuses http:// endpoints off loopback unless allowInsecureHttp. */
export function checkEndpointSchemes(config: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  if (config.allowInsecureHttp === true) return;
  for (const key of ENDPOINT_KEYS) {
    const value = config[key];
    if (typeof value !== 'string') continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue; // the field's own schema reports it
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `plain http:// to ${url.hostname} would send events and credentials unencrypted; use https://, or set allowInsecureHttp: true on this sink if the network is trusted`,
      });
    }
  }
}

export const httpSinkOptions = {
  allowInsecureHttp,
  tls: tlsOptions.optional(),
  proxy: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) proxy URL such as http://proxy:3128' })
    .optional()
    .describe('HTTP(S) proxy URL for this sink (CONNECT for https endpoints). Defaults to none; HTTPS_PROXY is not read implicitly.'),
  compression: compressionOptions.default({ type: 'gzip', level: 6 }),
};

export type TlsOptions = z.infer<typeof tlsOptions>;
export type CompressionOptions = z.infer<typeof compressionOptions>;
