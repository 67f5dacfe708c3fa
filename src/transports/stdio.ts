import type { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Logger } from '../log.js';

/** MCP over stdin/stdout. stdout carries only protocol messages; logs go to stderr. */
export function startStdio(factory: () => McpServer, logger: Logger): { close(): Promise<void> } {
  return serveStdio(factory, { onerror: (error) => logger.error('stdio transport error', { error }) });
}
