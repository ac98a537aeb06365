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
  try {
    return new URL(url, origin).href;
  } catch {
    return undefined;
  }
}
