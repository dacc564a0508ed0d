/** A sandbox host's paths: the run socket (a WebSocket upgrade) and its runtime list (GET). */
export const HOST_PATHS = {
  run: '/run',
  runtimes: '/runtimes',
} as const;
