/**
 * The wrapper every sandbox container runs as PID 1's child (`sh -c WRAPPER airlock`). It blocks reading
 * stdin, so a pre-started container costs nothing until a run arrives. The host then writes, on the
 * hijacked attach stream:
 *
 *   header line  "AL2 <nonce> <tarBytes> <argLen1> <argLen2> ...\n"
 *   compile line the compile command's words, space-separated ("" when the language has none)
 *   run line     the run command's words, space-separated
 *   tar          of the source files (extracted into /work by tar running as uid 65534)
 *   args         raw bytes, one after the other, lengths from the header
 *   [go line]    compiled languages only: "go\n", sent after the host has seen the compile finish
 *   stdin        the user's stdin, then end-of-file (half-close)
 *
 * The commands come from the host rather than from scripts baked into the image because they name the
 * run's entry file (the first file, or a Java file renamed after its public class; runner/entry.ts).
 * Their words are the manifest's constants and a validated file name, checked by `commandLine` to hold
 * no whitespace or control characters; the wrapper only splits them into fields with globbing off
 * (`set -f`): nothing is evaluated. The user's args, which may hold any byte, travel length-prefixed.
 *
 * `dd iflag=fullblock,count_bytes` reads exactly the announced byte counts, so nothing meant for the
 * program is consumed; dash's `read` reads byte by byte. The wrapper prints a completion marker on both
 * stdout and stderr after each phase, so the host can answer as soon as the program ends (~10 ms),
 * without waiting for Docker's exit handling (~40 ms), and knows both streams are complete.
 *
 * Languages with a preload launcher (Python) start their interpreter before any input arrives; the
 * launcher reads the same stream itself (the run line's last word is its script). It prints the final
 * marker itself once the program has ended, and stops rather than exit (images/files/python-preload.py);
 * where it cannot, it exits and the wrapper prints the marker (or, if the nonce file is gone, exits so
 * the host falls back to the container's exit status). It reads the file with the shell's own `read` (the file has no newline, so
 * `read` answers 1 but sets the variable): no fork and exec of `cat`, which costs ~14 ms under gVisor.
 *
 * After the last marker the wrapper sleeps instead of exiting: the container (and its cgroup, which
 * the host reads for CPU, peak memory and OOM kills) stays until the host removes it.
 *
 * The user's program can print a forged marker; that only affects its own run's result (it could end
 * its own run early or claim another exit code). The authoritative accounting (CPU, memory peak, OOM)
 * is read by the host from the container's cgroup, which the program cannot touch.
 */

import type { SandboxRuntime } from './profile.ts';

const WRAPPER_SCRIPT = `set -f
umask 077
if [ -d /opt/airlock/gocache ]; then cp -R /opt/airlock/gocache /tmp/gocache 2>/dev/null; fi
if [ -x /opt/airlock/preload ]; then
  /opt/airlock/preload
  c=$?
  nonce=
  { IFS= read -r nonce </tmp/.airlock-nonce; } 2>/dev/null
  if [ -n "$nonce" ]; then
    printf '\\037AL:%s:R:%s\\037' "$nonce" "$c"; printf '\\037AL:%s:R:%s\\037' "$nonce" "$c" >&2
    exec sleep 60
  fi
  exit "$c"
fi
IFS=' ' read -r magic nonce tarlen lens || exit 97
[ "$magic" = AL2 ] || exit 98
IFS= read -r compile || exit 97
IFS= read -r run || exit 97
mark() { printf '\\037AL:%s:%s:%s\\037' "$nonce" "$1" "$2"; printf '\\037AL:%s:%s:%s\\037' "$nonce" "$1" "$2" >&2; }
dd bs=65536 iflag=fullblock,count_bytes count="$tarlen" status=none | tar -x -f - -C /work --no-same-owner --no-same-permissions || exit 96
set --
for n in $lens; do
  a=$(dd bs=65536 iflag=fullblock,count_bytes count="$n" status=none; printf x)
  set -- "$@" "\${a%x}"
done
if [ -n "$compile" ]; then
  (IFS=' '; exec $compile) </dev/null
  c=$?
  mark C "$c"
  [ "$c" -eq 0 ] || exec sleep 60
  IFS= read -r go || exit 95
fi
IFS=' '
set -- $run "$@"
"$@"
mark R "$?"
exec sleep 60
`;

const WRAPPER_CMD: readonly string[] = ['/bin/sh', '-c', WRAPPER_SCRIPT, 'airlock'];

/**
 * Under gVisor (runsc 0.0~20221219) a write of more than PIPE_BUF (4 KiB) to the container's stdout or
 * stderr FIFO loses bytes once the FIFO is full (docs/sandbox-host.md, Known limits). There the wrapper's
 * two streams pass through in-sandbox relays, `dd bs=4096`, whose writes are at most 4 KiB and so atomic;
 * dd writes each read as it comes, so nothing is held back. They start with the container (the warm
 * pool hides their cost). The container's exit status stays the wrapper's (read back from the file the
 * relayed group writes), since the host falls back to it when no completion marker came.
 */
const RELAY_SCRIPT = `{ { /bin/sh -c "$1" airlock 2>&1 1>&3 3>&-; echo "$?" >/tmp/.airlock-exit; } | dd bs=4096 status=none >&2 3>&-; } 3>&1 | dd bs=4096 status=none
s=1
IFS= read -r s </tmp/.airlock-exit 2>/dev/null
exit "$s"`;

/** The container's command for a runtime: the wrapper itself, or under gVisor the wrapper behind its relays. */
export function wrapperCmd(runtime: SandboxRuntime): string[] {
  return runtime === 'runsc'
    ? ['/bin/sh', '-c', RELAY_SCRIPT, 'airlock-relay', WRAPPER_SCRIPT]
    : [...WRAPPER_CMD];
}

/** A command's words: printable ASCII without spaces, so the wrapper's field splitting keeps each whole. */
const COMMAND_WORD = /^[!-~]+$/;

function commandLine(words: readonly string[]): string {
  for (const w of words) {
    if (!COMMAND_WORD.test(w)) throw new Error(`command word not representable: ${JSON.stringify(w)}`);
  }
  return words.join(' ');
}

export interface WrapperInput {
  nonce: string;
  tarBytes: number;
  argBytes: readonly number[];
  /** null when the language compiles nothing. */
  compile: readonly string[] | null;
  run: readonly string[];
}

/** Everything before the tar: the header line, the compile line and the run line. */
export function wrapperHeader(input: WrapperInput): Buffer {
  const lens = input.argBytes.map((n) => ` ${n}`).join('');
  const compile = input.compile ? commandLine(input.compile) : '';
  return Buffer.from(
    `AL2 ${input.nonce} ${input.tarBytes}${lens}\n${compile}\n${commandLine(input.run)}\n`,
    'latin1',
  );
}

export const GO_LINE = Buffer.from('go\n', 'latin1');
