import type { RouteTable } from '../app.js';
import { arr, str } from '../params.js';
import { listRoute, retrieveRoute } from './common.js';

export function eventRoutes(routes: RouteTable): void {
  retrieveRoute(routes, '/v1/events/:id', 'event');
  listRoute(routes, '/v1/events', 'event', [], (e, params) => {
    const type = str(params, 'type');
    const types = arr(params, 'types')?.map(String);
    const matches = (pattern: string) =>
      pattern.endsWith('*') ? (e.type as string).startsWith(pattern.slice(0, -1)) : e.type === pattern;
    return (!type || matches(type)) && (!types || types.some(matches));
  });
}
