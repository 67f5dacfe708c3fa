import type { McpServer, Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Logger } from '../log.js';

/** MCP over stdin/stdout. stdout carries only protocol messages; logs go to stderr. */
export function startStdio(factory: () => McpServer | Server, logger: Logger): { close(): Promise<void> } {
  return serveStdio(factory, {
    onerror: (error) => {
      // A line that parses as JSON but is not a JSON-RPC message: the SDK skips it and reports
      // zod's whole issue tree (kilobytes); one short line says what happened.
      if (error.name === 'ZodError') logger.warn('ignored a stdin line that is not a JSON-RPC 2.0 message');
      else logger.error('stdio transport error', { error });
    },
  });
}
