// The keepalive program (virkeepaliveprotocol.x, 0x6b656570 v1): PING and PONG, both sent as
// MESSAGE packets with empty bodies.
export const KEEPALIVE_PROTOCOL_VERSION = 1;
export const KeepaliveProc = { PING: 1, PONG: 2 } as const;
