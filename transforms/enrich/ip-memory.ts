// Which IPs each user signed in from, within a window of *event* time (not the wall clock, so a
// backfill or a replay gives the same answers). Bounded: least recently seen users are
// forgotten first, and each user keeps at most `maxIpsPerUser` addresses.

export interface IpMemoryOptions {
  windowMs: number;
  maxUsers: number;
  maxIpsPerUser?: number;
}

export type IpSighting = 'first_sighting' | 'known_ip' | 'new_ip';

export class IpMemory {
  private readonly users = new Map<string, Map<string, number>>();
  private readonly maxIps: number;

  constructor(private readonly opts: IpMemoryOptions) {
    this.maxIps = opts.maxIpsPerUser ?? 64;
  }

  /**
   * Records a sign-in and says whether the IP is new for that user. A user without any
   * sighting in the window is a `first_sighting` (not flagged: every user is new at start-up).
   */
  observe(user: string, ip: string, time: number): IpSighting {
    let ips = this.users.get(user);
    if (ips) {
      this.users.delete(user); // re-insert below: Map order is our LRU order
      for (const [known, seen] of ips) if (seen < time - this.opts.windowMs) ips.delete(known);
    }
    const result: IpSighting = !ips || ips.size === 0 ? 'first_sighting' : ips.has(ip) ? 'known_ip' : 'new_ip';
    ips ??= new Map();
    ips.set(ip, Math.max(ips.get(ip) ?? 0, time));
    if (ips.size > this.maxIps) ips.delete(ips.keys().next().value!);
    this.users.set(user, ips);
    if (this.users.size > this.opts.maxUsers) this.users.delete(this.users.keys().next().value!);
    return result;
  }

  get size(): number {
    return this.users.size;
  }
}
