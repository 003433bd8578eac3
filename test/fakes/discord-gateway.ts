/**
 * The Discord gateway stand-in on `ws`: HELLO → IDENTIFY → READY + GUILD_CREATE, heartbeats,
 * RESUME with replay of missed dispatches by sequence number, INVALID_SESSION and forced closes.
 * Protocol: https://discord.com/developers/docs/events/gateway (JSON encoding, no compression).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, WebSocket } from 'ws';

/** Opcodes, https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-opcodes */
const Op = { Dispatch: 0, Heartbeat: 1, Identify: 2, Resume: 6, InvalidSession: 9, Hello: 10, HeartbeatAck: 11 } as const;
const MESSAGE_CONTENT_INTENT = 1 << 15;

export interface GatewayFrame {
  connection: number;
  op: number;
  /** The payload with the token replaced by '<redacted>'. */
  d: unknown;
}

export interface GatewayConnection {
  id: number;
  /** '/gateway' for the URL from /gateway/bot, '/resume' for READY's resume_gateway_url. */
  path: string;
  query: Record<string, string>;
  /** Close code as the stand-in saw it (1006 when the socket just went away). */
  closeCode?: number;
}

interface Dispatch {
  op: 0;
  t: string;
  s: number;
  d: unknown;
}

interface Session {
  id: string;
  seq: number;
  log: Dispatch[];
}

interface Live {
  id: number;
  ws: WebSocket;
  session?: Session;
  /** Looks open but neither acknowledges heartbeats nor delivers events. */
  zombie: boolean;
}

export interface GatewayOptions {
  token: string;
  heartbeatIntervalMs: number;
  messageContentIntent: boolean;
  /** How many already-delivered dispatches a RESUME replays on top of the missed ones. */
  replayOverlap: number;
  identifyCloseCode: number | undefined;
  ready(sessionId: string, resumeUrl: string): Record<string, unknown>;
  guildCreate(): Record<string, unknown>;
}

export class FakeGateway {
  readonly frames: GatewayFrame[] = [];
  readonly connections: GatewayConnection[] = [];
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly options: GatewayOptions;
  private live: Live | undefined;
  private current: Session | undefined;
  resumeUrl = '';

  constructor(options: GatewayOptions) {
    this.options = options;
  }

  get identifies(): number {
    return this.frames.filter((f) => f.op === Op.Identify).length;
  }

  get resumes(): number {
    return this.frames.filter((f) => f.op === Op.Resume).length;
  }

  /** A connection is open, identified or resumed, and not a zombie. */
  get connected(): boolean {
    return this.live?.session !== undefined && !this.live.zombie && this.live.ws.readyState === WebSocket.OPEN;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/gateway' && url.pathname !== '/resume') {
      socket.destroy();
      return;
    }
    this.server.handleUpgrade(request, socket, head, (ws) => {
      const record: GatewayConnection = { id: this.connections.length + 1, path: url.pathname, query: Object.fromEntries(url.searchParams) };
      this.connections.push(record);
      const live: Live = { id: record.id, ws, zombie: false };
      this.live = live;
      ws.on('message', (data) => this.onFrame(live, String(data)));
      ws.on('close', (code) => {
        record.closeCode = code;
        if (this.live === live) this.live = undefined;
      });
      ws.on('error', () => {});
      if (record.query.encoding !== 'json' || record.query.compress) {
        ws.close(4002, 'the stand-in speaks plain JSON only');
        return;
      }
      this.send(live, { op: Op.Hello, d: { heartbeat_interval: this.options.heartbeatIntervalMs } });
    });
  }

  /** Send an event to the current session: delivered now, or replayed on RESUME if the socket is down. */
  dispatch(t: string, d: unknown): boolean {
    const session = this.current;
    if (!session) return false;
    const event: Dispatch = { op: Op.Dispatch, t, s: ++session.seq, d };
    session.log.push(event);
    const live = this.live;
    if (live?.session === session && !live.zombie) this.send(live, event);
    return true;
  }

  /** Close the live socket: 1006 cuts it without a close frame, any other code closes with that code. */
  drop(code = 1006): void {
    const live = this.live;
    if (!live) throw new Error('no gateway connection to drop');
    if (code === 1006) live.ws.terminate();
    else live.ws.close(code, 'closed by the stand-in');
  }

  /** The live connection stays open but goes silent: no heartbeat ACKs, no events. */
  stopAcking(): void {
    if (!this.live) throw new Error('no gateway connection to silence');
    this.live.zombie = true;
  }

  /** INVALID_SESSION; when not resumable the session is forgotten so only a fresh IDENTIFY works. */
  invalidateSession(resumable = false): void {
    const live = this.live;
    if (!live) throw new Error('no gateway connection');
    if (!resumable && live.session) {
      this.sessions.delete(live.session.id);
      live.session = undefined;
      this.current = undefined;
    }
    this.send(live, { op: Op.InvalidSession, d: resumable });
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onFrame(live: Live, raw: string): void {
    let payload: { op: number; d: unknown };
    try {
      payload = JSON.parse(raw) as { op: number; d: unknown };
    } catch {
      live.ws.close(4002, 'Error while decoding payload.');
      return;
    }
    const d = payload.d && typeof payload.d === 'object' && 'token' in payload.d ? { ...payload.d, token: '<redacted>' } : payload.d;
    this.frames.push({ connection: live.id, op: payload.op, d });
    switch (payload.op) {
      case Op.Heartbeat:
        if (!live.zombie) this.send(live, { op: Op.HeartbeatAck });
        return;
      case Op.Identify:
        return this.identify(live, payload.d as { token: string; intents: number });
      case Op.Resume:
        return this.resume(live, payload.d as { token: string; session_id: string; seq: number });
      default:
        return;
    }
  }

  private identify(live: Live, d: { token: string; intents: number }): void {
    if (d.token !== this.options.token) return void live.ws.close(4004, 'Authentication failed.');
    if (this.options.identifyCloseCode) return void live.ws.close(this.options.identifyCloseCode, 'closed by the stand-in');
    if (d.intents & MESSAGE_CONTENT_INTENT && !this.options.messageContentIntent) return void live.ws.close(4014, 'Disallowed intent(s).');
    const session: Session = { id: randomUUID().replaceAll('-', ''), seq: 0, log: [] };
    this.sessions.set(session.id, session);
    live.session = session;
    this.current = session;
    this.dispatch('READY', this.options.ready(session.id, this.resumeUrl));
    this.dispatch('GUILD_CREATE', this.options.guildCreate());
  }

  private resume(live: Live, d: { token: string; session_id: string; seq: number }): void {
    const session = this.sessions.get(d.session_id);
    if (d.token !== this.options.token) return void live.ws.close(4004, 'Authentication failed.');
    if (!session) return void this.send(live, { op: Op.InvalidSession, d: false });
    live.session = session;
    this.current = session;
    const from = Math.max(0, d.seq - this.options.replayOverlap);
    for (const event of session.log) if (event.s > from) this.send(live, event);
    // RESUMED carries a sequence number but is not itself replayed later.
    this.send(live, { op: Op.Dispatch, t: 'RESUMED', s: ++session.seq, d: {} });
  }

  private send(live: Live, payload: object): void {
    if (live.ws.readyState === WebSocket.OPEN) live.ws.send(JSON.stringify(payload));
  }
}
