// Interop peer: a Node.js `tls` echo server.
// Prints `LISTENING <port>`, then per connection
// `CONN version=TLSv1.3 alpn=h2 reused=false peer=test-client`; exits after --connections connections.
'use strict';
const tls = require('tls');
const fs = require('fs');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const version = args.version ? `TLSv${args.version}` : undefined;
const options = {
  key: fs.readFileSync(args.key),
  cert: fs.readFileSync(args.cert),
  minVersion: version || 'TLSv1.2',
  maxVersion: version || 'TLSv1.3',
};
if (args['client-ca']) Object.assign(options, { ca: fs.readFileSync(args['client-ca']), requestCert: true, rejectUnauthorized: true });
if (args.alpn) options.ALPNProtocols = args.alpn.split(',');

// TLS 1.2 session-id resumption needs an application cache (Node keeps none itself); tickets work without it.
const sessions = new Map();
let remaining = Number(args.connections || 1);
const server = tls.createServer(options, (socket) => {
  const peer = socket.getPeerCertificate();
  console.log(`CONN version=${socket.getProtocol()} alpn=${socket.alpnProtocol || 'none'} reused=${socket.isSessionReused()} ` +
              `peer=${(peer && peer.subject && peer.subject.CN) || 'none'}`);
  socket.on('data', (d) => socket.write(d));
  socket.on('end', () => socket.end());
  socket.on('error', (e) => console.log(`CONN-ERROR ${e.message}`));
  socket.on('close', () => { if (--remaining <= 0) server.close(); });
});
server.on('newSession', (id, data, cb) => { sessions.set(id.toString('hex'), data); cb(); });
server.on('resumeSession', (id, cb) => cb(null, sessions.get(id.toString('hex')) || null));
server.on('tlsClientError', (e) => console.log(`TLS-CLIENT-ERROR ${e.message}`));
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
setTimeout(() => { console.log('TIMEOUT'); process.exit(3); }, 60000).unref();
