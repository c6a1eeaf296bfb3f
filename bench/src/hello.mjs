// The machine's ceiling: the smallest possible node:http server.
import { createServer } from 'node:http'

const port = Number(process.argv[2])
const body = JSON.stringify({ hello: 'world' })
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
  res.end(body)
})
server.keepAliveTimeout = 30_000
server.listen(port, '127.0.0.1', () => process.stdout.write(`hello on ${port}\n`))
process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
