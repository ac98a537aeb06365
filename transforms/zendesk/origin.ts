// Where each Zendesk account lives, so mappers can turn the access log's relative `url`
// (`/api/v2/users/1`) into the absolute URL that OCSF's url_string and ECS's url.full expect.

/** account name -> origin (`https://acme.zendesk.com`, or the configured baseUrl's origin), from the `zendesk` config section. */
export function accountOrigins(section: { accounts: readonly { name: string; subdomain?: string | undefined; baseUrl?: string | undefined }[] }): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const a of section.accounts) {
    try {
      if (a.baseUrl !== undefined) out.set(a.name, new URL(a.baseUrl).origin);
      else if (a.subdomain !== undefined) out.set(a.name, `https://${a.subdomain}.zendesk.com`);
    } catch {
      // an invalid baseUrl is the config schema's to report; mappers just omit the absolute URL
    }
  }
  return out;
}

/** The absolute form of an access-log url, or undefined when it cannot be known. */
export function absoluteUrl(url: string, origin: string | undefined): string | undefined {
  if (/^https?:\/\//i.test(url)) return url;
  if (!origin) return undefined;
  // Most access-log urls are plain paths: the URL parser would return the origin's own prefix
  // + the url unchanged, so skip it (it was ~2 µs and several objects per access-log event).
  const o = originParts(origin);
  if (o && PLAIN_PATH.test(url) && !DOT_SEGMENT.test(url)) return o.prefix + url;
  try {
    return new URL(url, origin).href;
  } catch {
    return undefined;
  }
}

/**
 * Host name and scheme of an absolute URL as `new URL(full)` reads them; a URL on the
 * account's own origin is answered from that origin without parsing it again.
 */
export function hostAndScheme(full: string, origin: string | undefined): { hostname: string; scheme: string } {
  const o = origin === undefined ? undefined : originParts(origin);
  if (o && full.startsWith(o.prefix) && full.charCodeAt(o.prefix.length) === 0x2f /* / */) return o.host;
  const u = new URL(full);
  return { hostname: u.hostname, scheme: u.protocol.slice(0, -1) };
}

/**
 * A path (and query) that the URL parser copies unchanged onto the origin: one leading "/"
 * (not "//", which names another host), only characters no percent-encode set of a special
 * scheme's path or query touches, and no backslash, tab, newline, space, quote or "#".
 */
const PLAIN_PATH = /^\/(?![/])[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*$/;
/** "." and ".." segments (also percent-encoded) are resolved by the parser: not plain. */
const DOT_SEGMENT = /\/(\.|%2e)/i;

interface OriginParts {
  /** `new URL("/", origin).href` without its final "/": what every absolute URL on this origin starts with. */
  prefix: string;
  host: { hostname: string; scheme: string };
}
const origins = new Map<string, OriginParts | undefined>();

function originParts(origin: string): OriginParts | undefined {
  if (origins.has(origin)) return origins.get(origin);
  let parts: OriginParts | undefined;
  try {
    const u = new URL('/', origin);
    parts = { prefix: u.href.slice(0, -1), host: { hostname: u.hostname, scheme: u.protocol.slice(0, -1) } };
  } catch {
    parts = undefined;
  }
  if (origins.size < 1024) origins.set(origin, parts); // one per account; bounded all the same
  return parts;
}
