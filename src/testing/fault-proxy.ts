/**
 * A loopback TCP proxy for fault tests: put it between an operator and the API server (point the
 * operator's kubeconfig at {@link FaultProxy.url}) and make the network misbehave on command.
 *
 * It works below TLS: bytes pass through untouched, so the API server's certificate and CA stay
 * valid and the client cannot tell the proxy is there. It can:
 * - pass everything through (the default);
 * - **stall**: stop forwarding in both directions while keeping the connections open, so requests
 *   and watches hang without any error: the "silent watch" of a dead NAT entry or a stuck load
 *   balancer. Held-back bytes are delivered on {@link FaultProxy.resume}, in order;
 * - **reset**: cut connections with a TCP RST, as a crashed middlebox or a restarted node does.
 *
 * It guarantees that bytes are never dropped or reordered while a connection lives: a stalled
 * connection either resumes intact or is reset.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Port to listen on (127.0.0.1). Default: one picked by the OS. */
  port?: number;
}

/** Options of {@link FaultProxy.stall}. */
export interface StallOptions {
  /**
   * Also stall connections opened after this call (they are accepted and then hang). Default
   * false: only the connections open now go silent; a client that opens a new one gets through,
   * as after a half-dead TCP connection.
   */
  newConnections?: boolean;
}

/** One proxied connection: the client's socket and the one to the target. */
class Link {
  stalled = false;
  /** Bytes (or, as null, the end of the stream) that arrived while stalled, per destination. */
  private readonly held: Array<[to: Socket, chunk: Buffer | null]> = [];

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    stalled: boolean,
    onClose: () => void,
  ) {
    this.stalled = stalled;
    this.forward(client, upstream);
    this.forward(upstream, client);
    let closed = false;
    // An error on one side (a reset, or nobody listening behind us) resets the other: the client
    // sees what it would see without the proxy. A clean close closes the other side cleanly.
    const close = (failed: boolean) => {
      if (closed) return;
      closed = true;
      for (const s of [client, upstream]) {
        if (s.destroyed) continue;
        if (failed) s.resetAndDestroy();
        else s.destroy();
      }
      onClose();
    };
    for (const s of [client, upstream]) {
      s.on("error", () => close(true));
      s.on("close", () => close(false));
    }
  }

  stall(): void {
    this.stalled = true;
    this.client.pause();
    this.upstream.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const [to, chunk] of this.held.splice(0)) {
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    this.client.resume();
    this.upstream.resume();
  }

  reset(): void {
    this.client.resetAndDestroy();
    this.upstream.resetAndDestroy();
  }

  private forward(from: Socket, to: Socket): void {
    from.on("data", (chunk: Buffer) => {
      if (this.stalled) {
        // Arrived before pause() took effect: keep it for resume(), in order.
        this.held.push([to, chunk]);
        from.pause();
        return;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => {
          if (!this.stalled) from.resume();
        });
      }
    });
    from.on("end", () => {
      if (!this.stalled) to.end();
      else this.held.push([to, null]); // delivered on resume, after the bytes before it
    });
    if (this.stalled) from.pause();
  }
}

/** See the module comment. */
export class FaultProxy {
  private readonly links = new Set<Link>();
  private stallNew = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly scheme: string,
  ) {
    server.on("connection", (client) => this.accept(client));
  }

  /**
   * Starts a proxy on 127.0.0.1 in front of `target` (a URL such as the control plane's
   * `server`, `https://127.0.0.1:PORT`).
   */
  static async start(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const url = new URL(target);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    server.unref(); // a test that forgets close() still exits
    return new FaultProxy(server, url.hostname, port, url.protocol);
  }

  /** The proxy's port on 127.0.0.1. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The proxy's URL, with the target's scheme: `https://127.0.0.1:PORT`. */
  get url(): string {
    return `${this.scheme}//127.0.0.1:${this.port}`;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.links.size;
  }

  /** Connections open now that are stalled. */
  get stalledCount(): number {
    let n = 0;
    for (const link of this.links) if (link.stalled) n++;
    return n;
  }

  /** Stops forwarding on every open connection (and on new ones with `newConnections`); returns how many. */
  stall(options: StallOptions = {}): number {
    this.stallNew = options.newConnections ?? false;
    for (const link of this.links) link.stall();
    return this.links.size;
  }

  /** Forwards again on every stalled connection, delivering what was held back; new connections pass. */
  resume(): void {
    this.stallNew = false;
    for (const link of this.links) if (link.stalled) link.resume();
  }

  /** Cuts every open connection with a TCP RST (stalled ones included); returns how many. */
  reset(): number {
    const n = this.links.size;
    for (const link of [...this.links]) link.reset();
    return n;
  }

  /** Stops listening and resets every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.reset();
    });
    return this.closing;
  }

  private accept(client: Socket): void {
    client.setNoDelay(true);
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort, noDelay: true });
    const link = new Link(client, upstream, this.stallNew, () => this.links.delete(link));
    this.links.add(link);
  }
}
