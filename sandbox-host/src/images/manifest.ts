/**
 * The shape of a runtime manifest: everything the image builder and the runner need to know about a
 * language. Commands are argument arrays; they are baked into the image as small scripts at build time
 * (from these trusted constants), so nothing user-supplied is ever interpolated into a shell string.
 */
interface CompileLimits {
  /** Wall-clock limit of the compile step (its own, separate from the run's). */
  readonly timeoutMs: number;
  /** Memory for the container while compiling (compilers need more than programs). */
  readonly memoryMb: number;
}

export interface RuntimeManifest {
  /** Language id used on the wire (`python`, `c`, ...). */
  readonly language: string;
  readonly displayName: string;
  /** Debian suite the image is built from. */
  readonly suite: 'trixie' | 'bookworm';
  readonly packages: readonly string[];
  /** Default source file name when a request sends `code`. */
  readonly fileName: string;
  /** Run in the work dir before `run`; a non-zero exit is `compile_failed`. */
  readonly compile?: readonly string[];
  readonly compileLimits?: CompileLimits;
  /** The program; the run's `args` are appended. */
  readonly run: readonly string[];
  /**
   * Optional launcher started while the container waits in the pool (interpreter already up): it reads
   * the header, files and args itself (same stream format as the wrapper) and runs the program.
   */
  readonly preload?: readonly string[];
  /** Prints the version (first line of stdout+stderr is kept), run once at build time. */
  readonly version: readonly string[];
  /** Size of /tmp (MiB) when the default is too small (e.g. Go's warm build cache lives there). */
  readonly tmpTmpfsMb?: number;
  /** Extra environment for compile and run (on top of the profile's base environment). */
  readonly env?: Readonly<Record<string, string>>;
  /** Files (from src/images/files) installed read-only under /opt/airlock in the image. */
  readonly files?: readonly string[];
  /** Commands run inside the new root file system at build time (e.g. to warm a compiler cache). */
  readonly buildSteps?: readonly (readonly string[])[];
}
