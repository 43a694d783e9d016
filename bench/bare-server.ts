// The anchor of the serving benchmarks: a bare node:http server answering one fixed JSON
// body (BARE_BODY) to every request, on PORT (0: any free port, printed on stdout).
// Run by bench/serving.ts and bench/serving-cpu-ab.sh as `node build/bench/bare-server.js`.
import { createServer } from 'node:http';

const body = Buffer.from(process.env['BARE_BODY'] ?? '{}');
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
  });
  res.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : ''}\n`);
});
