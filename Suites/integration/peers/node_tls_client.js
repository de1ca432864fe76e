// Interop peer: a Node.js `tls` client. Connects --connections times, offering the previous
// connection's session (from the 'session' event) on each later one; per connection it sends a
// line, reads it back and prints `CONN version=TLSv1.3 alpn=h2 reused=true echo=<line>`.
'use strict';
const tls = require('tls');
const fs = require('fs');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const version = args.version ? `TLSv${args.version}` : undefined;
const base = {
  host: '127.0.0.1', port: Number(args.port), servername: 'localhost',
  ca: fs.readFileSync(args.ca),
  minVersion: version || 'TLSv1.2', maxVersion: version || 'TLSv1.3',
};
if (args.cert) Object.assign(base, { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) });
if (args.alpn) base.ALPNProtocols = args.alpn.split(',');

function once(i, session) {
  return new Promise((resolve, reject) => {
    let latest = session;
    let got = '';
    const socket = tls.connect({ ...base, session }, () => {
      socket.write(`node line ${i}\n`);
    });
    socket.on('session', (s) => { latest = s; });
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      got += d;
      if (!got.includes('\n')) return;
      console.log(`CONN version=${socket.getProtocol()} alpn=${socket.alpnProtocol || 'none'} reused=${socket.isSessionReused()} ` +
                  `echo=${got.trim()}`);
      socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(latest));
  });
}

(async () => {
  let session;
  for (let i = 0; i < Number(args.connections || 1); i++) session = await once(i, session);
})().catch((e) => { console.log(`ERROR ${e.message}`); process.exit(1); });
setTimeout(() => { console.log('TIMEOUT'); process.exit(3); }, 30000).unref();
