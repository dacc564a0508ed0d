/**
 * Which methods a path is routed for, so an unmatched request can be told 405 (with `Allow`) rather
 * than 404. Route patterns here use only `:param` segments and a trailing `*`.
 */

interface RouteEntry {
  method: string;
  path: string;
}

function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${body}/?$`);
}

export function routeMethodIndex(routes: readonly RouteEntry[]): (path: string) => string[] {
  const compiled = routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({ method: r.method, regex: patternToRegExp(r.path) }));
  return (path) => {
    const methods = new Set(compiled.filter((r) => r.regex.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
