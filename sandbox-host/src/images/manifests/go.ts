import type { RuntimeManifest } from '../manifest.ts';

/**
 * Go builds the standard library into its build cache on first use (seconds on one CPU). The image
 * build compiles a hello world once into /opt/airlock/gocache; the wrapper copies that warm cache to
 * the tmpfs while the container waits in the pool, so a run only compiles the user's package.
 */
// The same settings at build and run time, or the warm cache would not match.
const goEnv = {
  GO111MODULE: 'off',
  GOTOOLCHAIN: 'local',
  GOTELEMETRY: 'off',
  GOFLAGS: '-buildvcs=false',
  GOPROXY: 'off',
  CGO_ENABLED: '0',
};

/**
 * Go builds the standard library into its build cache on first use (seconds on one CPU). The image
 * build compiles a hello world once into /opt/airlock/gocache; the wrapper copies that warm cache to
 * the tmpfs while the container waits in the pool, so a run only compiles the user's package.
 */

export const go: RuntimeManifest = {
  language: 'go',
  displayName: 'Go',
  suite: 'trixie',
  packages: ['golang-go'],
  fileName: 'main.go',
  compile: ['go', 'build', '-o', 'main', 'main.go'],
  compileLimits: { timeoutMs: 15_000, memoryMb: 512 },
  run: ['./main'],
  version: ['go', 'version'],
  tmpTmpfsMb: 128,
  env: { ...goEnv, GOCACHE: '/tmp/gocache', GOPATH: '/tmp/gopath' },
  files: ['go-warm.go'],
  buildSteps: [
    [
      'env',
      'HOME=/root',
      'GOCACHE=/opt/airlock/gocache',
      'GOPATH=/tmp/gopath',
      ...Object.entries(goEnv).map(([k, v]) => `${k}=${v}`),
      'go',
      'build',
      '-o',
      '/tmp/go-warm',
      '/opt/airlock/go-warm.go',
    ],
    ['chmod', '-R', 'a+rX', '/opt/airlock/gocache'],
    ['rm', '-rf', '/tmp/gopath', '/tmp/go-warm'],
  ],
};
