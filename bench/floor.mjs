/* global process, Buffer */
// The yardstick for HTTP throughput: the MCP SDK alone, wired to node:http exactly as mcp-stripe's
// /mcp is (createMcpHandler behind toNodeHandler, the JSON body read and parsed once and passed as
// parsedBody), serving one tool that does nothing. No Stripe call, no policy, no audit: what a tool
// call costs before any of that, on this machine. Prints its /mcp URL on stderr.
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

const factory = () => {
  const server = new McpServer({ name: 'floor', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'stripe_api_read',
    { description: 'Does nothing.', inputSchema: z.object({ path: z.string() }) },
    ({ path }) => ({ content: [{ type: 'text', text: path }] }),
  );
  return server;
};
const serve = toNodeHandler(createMcpHandler(factory));
const http = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => void serve(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8'))));
});
http.listen(0, '127.0.0.1', () => process.stderr.write(`http://127.0.0.1:${http.address().port}/mcp\n`));
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
