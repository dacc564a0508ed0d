import type { RuntimeManifest } from '../manifest.ts';

const jvmFlags = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss1m'];

/** The source file must declare `public class Main` (or no public class). */
export const java: RuntimeManifest = {
  language: 'java',
  displayName: 'Java (OpenJDK)',
  suite: 'trixie',
  packages: ['openjdk-21-jdk-headless'],
  fileName: 'Main.java',
  compile: ['javac', ...jvmFlags.map((f) => `-J${f}`), '-d', '.', 'Main.java'],
  compileLimits: { timeoutMs: 15_000, memoryMb: 512 },
  run: ['java', ...jvmFlags, '-cp', '.', 'Main'],
  version: ['java', '-version'],
};
