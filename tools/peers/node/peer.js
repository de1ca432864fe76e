#!/usr/bin/env node
// Node's peer for tools/compare-peers (contract: tools/peers/README.md).
//   node peer.js server    --port P --tls 1.3|tcp --cert c.pem --key k.pem
//   node peer.js echo      --port P --tls 1.3|tcp --ca c.pem --clients N --chunk B --duration S
//   node peer.js handshake --port P --ca c.pem --clients N --duration S --mode full|resumed
// server prints {"listening":PORT}; echo and handshake print ONE JSON line of raw measurements.
// Pinned like every peer: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519, TCP_NODELAY, server verified.
'use strict';
const fs = require('fs');
const net = require('net');
const tls = require('tls');

function parse(argv) {
  const o = { cmd: argv[0], host: '127.0.0.1', port: 0, tls: '1.3', clients: 1, chunk: 65536, duration: 5,
              mode: 'full', serverName: 'localhost' };
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    if (!(k in o) && !['cert', 'key', 'ca', 'threads'].includes(k)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = typeof o[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return o;
}

const PINS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519' };
const nowNs = () => process.hrtime.bigint();

function server(o) {
  const onConn = (s) => { s.setNoDelay(true); s.on('error', () => s.destroy()); s.pipe(s); };
  const srv = o.tls === 'tcp'
    ? net.createServer({ noDelay: true }, onConn)
    : tls.createServer({ ...PINS, noDelay: true, cert: fs.readFileSync(o.cert), key: fs.readFileSync(o.key) }, onConn);
  srv.on('tlsClientError', () => {});
  srv.listen({ port: o.port, host: o.host, backlog: 4096 }, () => {
    process.stdout.write(JSON.stringify({ listening: srv.address().port }) + '\n');
  });
}

function connect(o, extra = {}) {
  if (o.tls === 'tcp') {
    const s = net.connect({ host: o.host, port: o.port, noDelay: true });
    s.setNoDelay(true);
    return { socket: s, ready: 'connect' };
  }
  const s = tls.connect({ ...PINS, host: o.host, port: o.port, servername: o.serverName, ca: o.caPEM,
                          rejectUnauthorized: true, noDelay: true, ...extra });
  s.setNoDelay(true);
  return { socket: s, ready: 'secureConnect' };
}

async function echo(o) {
  if (o.tls !== 'tcp') o.caPEM = fs.readFileSync(o.ca);
  const payload = Buffer.alloc(o.chunk, 0x5a);
  const conns = [];
  let errors = 0;
  for (let i = 0; i < o.clients; i++) {
    try {
      conns.push(await new Promise((resolve, reject) => {
        const { socket, ready } = connect(o);
        socket.once(ready, () => resolve(socket));
        socket.once('error', reject);
      }));
    } catch (e) { errors++; process.stderr.write(`connect: ${e}\n`); }
  }
  const cipher = conns[0] && conns[0].getCipher ? conns[0].getCipher().standardName : null;
  const start = nowNs();
  const deadline = start + BigInt(Math.round(o.duration * 1e9));
  const results = await Promise.all(conns.map((s) => new Promise((resolve) => {
    let bytes = 0, iterations = 0, pending = 0, done = false;
    const finish = (failed) => { if (!done) { done = true; s.destroy(); resolve({ bytes, iterations, failed }); } };
    const send = () => { pending = o.chunk; bytes += o.chunk; s.write(payload); };
    s.removeAllListeners('error');
    s.on('error', () => finish(true));
    s.on('close', () => finish(pending > 0));
    s.on('data', (d) => {
      bytes += d.length; pending -= d.length;
      if (pending <= 0) { iterations++; if (nowNs() < deadline) send(); else finish(false); }
    });
    send();
  })));
  const seconds = Number(nowNs() - start) / 1e9;
  out({ stack: 'node', workload: 'echo', transport: o.tls === 'tcp' ? 'tcp' : 'tls1.3', clients: o.clients, chunk: o.chunk,
        duration: o.duration, seconds, bytes: results.reduce((a, r) => a + r.bytes, 0),
        iterations: results.reduce((a, r) => a + r.iterations, 0), connected: conns.length,
        errors: errors + results.filter((r) => r.failed).length, per_client_bytes: results.map((r) => r.bytes), cipher });
}

// One connection: handshake, 1-byte echo (server done; TLS 1.3 tickets arrived), close.
function once(o, session) {
  return new Promise((resolve, reject) => {
    let latest = null;
    const { socket } = connect(o, session ? { session } : {});
    socket.on('session', (s) => { latest = s; });
    socket.once('secureConnect', () => socket.write(Buffer.from([0x5a])));
    socket.once('data', () => {
      const r = { reused: socket.isSessionReused(), cipher: socket.getCipher().standardName };
      socket.end();
      // A ticket may follow the echo: wait for the close so 'session' has fired.
      socket.once('close', () => resolve({ ...r, session: latest }));
    });
    socket.once('error', (e) => { socket.destroy(); reject(e); });
  });
}

async function handshake(o) {
  o.tls = '1.3';
  o.caPEM = fs.readFileSync(o.ca);
  const resume = o.mode === 'resumed';
  const start = nowNs();
  const deadline = start + BigInt(Math.round(o.duration * 1e9));
  const workers = await Promise.all(Array.from({ length: o.clients }, async () => {
    const w = { latencies: [], resumed: 0, errors: 0, cipher: null };
    let session = null;
    if (resume) { try { session = (await once(o, null)).session; } catch (e) { w.errors++; } }
    while (nowNs() < deadline) {
      const t0 = nowNs();
      try {
        const r = await once(o, resume ? session : null);
        w.latencies.push(Number((nowNs() - t0) / 1000n));
        if (r.reused) w.resumed++;
        if (resume && r.session) session = r.session;
        w.cipher = r.cipher;
      } catch (e) { if (++w.errors > 1000) break; }
    }
    return w;
  }));
  const seconds = Number(nowNs() - start) / 1e9;
  const latencies = workers.flatMap((w) => w.latencies);
  out({ stack: 'node', workload: 'handshake', mode: o.mode, clients: o.clients, duration: o.duration, seconds,
        handshakes: latencies.length, resumed: workers.reduce((a, w) => a + w.resumed, 0),
        errors: workers.reduce((a, w) => a + w.errors, 0), latencies_us: latencies,
        cipher: (workers.find((w) => w.cipher) || {}).cipher || null });
}

function out(obj) {
  // Exit only once stdout is flushed (it may be a pipe).
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(0));
}

const o = parse(process.argv.slice(2));
const cmds = { server, echo, handshake };
if (!cmds[o.cmd]) { process.stderr.write('usage: peer.js server|echo|handshake [options]\n'); process.exit(2); }
Promise.resolve(cmds[o.cmd](o)).catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1); });
