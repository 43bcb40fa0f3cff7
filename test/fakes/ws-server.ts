// A minimal RFC 6455 WebSocket server side (handshake, text/ping/close frames) for fakes; `ws` is not installed.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface WsConnection {
  sendText(text: string): void;
  close(code?: number): void;
  readonly open: boolean;
}

export interface WsHandlers {
  onText(conn: WsConnection, text: string): void;
  onClose?(conn: WsConnection): void;
}

/** A server frame: never masked, always final. */
function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  let header: Buffer;
  if (len < 126) header = Buffer.from([0x80 | opcode, len]);
  else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
  size: number;
}

/** Parses one client frame (masked, as RFC 6455 requires) from the start of buf, or undefined if incomplete. */
function parseFrame(buf: Buffer): Frame | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0] ?? 0;
  const b1 = buf[1] ?? 0;
  let len = b1 & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const maskLen = masked ? 4 : 0;
  if (buf.length < off + maskLen + len) return undefined;
  const mask = buf.subarray(off, off + maskLen);
  const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, size: off + maskLen + len };
}

/** Completes the upgrade handshake on `socket` and runs the connection. */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  handlers: WsHandlers,
): WsConnection | undefined {
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string") {
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    return undefined;
  }
  const accept = createHash("sha1")
    .update(key + GUID)
    .digest("base64");
  // No Sec-WebSocket-Extensions in the answer: the client then sends uncompressed frames.
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let open = true;
  let buf = Buffer.alloc(0);
  let fragments: Buffer[] = [];
  const conn: WsConnection = {
    sendText: (text) => {
      if (open) socket.write(frame(OP.text, Buffer.from(text, "utf8")));
    },
    close: (code = 1000) => {
      if (!open) return;
      open = false;
      const body = Buffer.alloc(2);
      body.writeUInt16BE(code, 0);
      socket.write(frame(OP.close, body));
      socket.end();
      handlers.onClose?.(conn);
    },
    get open() {
      return open;
    },
  };
  socket.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (let f = parseFrame(buf); f; f = parseFrame(buf)) {
      buf = buf.subarray(f.size);
      if (f.opcode === OP.ping) socket.write(frame(OP.pong, f.payload));
      else if (f.opcode === OP.close) conn.close(1000);
      else if (f.opcode === OP.text || f.opcode === OP.continuation || f.opcode === OP.binary) {
        fragments.push(f.payload);
        if (f.fin) {
          const text = Buffer.concat(fragments).toString("utf8");
          fragments = [];
          handlers.onText(conn, text);
        }
      }
    }
  });
  const gone = () => {
    if (!open) return;
    open = false;
    handlers.onClose?.(conn);
  };
  socket.on("close", gone);
  socket.on("error", gone);
  return conn;
}
