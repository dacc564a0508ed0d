# Pre-started Python launcher: the interpreter is already up (and these modules imported) while the
# container waits in the pool, so a run skips Python's start-up. It reads the same input stream as the
# shell wrapper would (header, command lines, tar, args; see docker/wrapper.ts; the run line's last word
# is the script, the run's entry file) with exact-size os.read calls, so
# whatever follows is left on fd 0 for the program's own stdin. The nonce goes to a file for the wrapper,
# which prints the completion marker after this process exits (the program can tamper with that file:
# that only affects its own result).
#
# When the program has ended as `python3 main.py` would end it, the launcher prints the completion
# marker itself and stops, rather than exit (see report_and_stop).
import atexit
import gc
import io
import os
import signal

# runpy.run_path imports pkgutil (and with it typing) on its first call: ~9 ms of the run's first
# output, measured with -X importtime (issue 18). Imported here, that happens while the container waits.
import pkgutil  # noqa: F401
import runpy
import sys
import tarfile
import traceback


def read_exact(n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(0, min(65536, n - len(buf)))
        if not chunk:
            sys.exit(96)
        buf += chunk
    return bytes(buf)


def read_line():
    buf = bytearray()
    while True:
        c = os.read(0, 1)
        if not c or c == b"\n":
            return buf.decode("latin-1")
        buf += c


def main():
    header = read_line().split(" ")
    if len(header) < 3 or header[0] not in ("AL1", "AL2"):
        sys.exit(98)
    nonce, tar_len, arg_lens = header[1], int(header[2]), [int(n) for n in header[3:] if n]
    entry = os.environ.get("AIRLOCK_MAIN", "main.py")
    if header[0] == "AL2":  # AL1 (no command lines) is what hosts before the entry rule send
        read_line()  # the compile line: Python compiles nothing
        entry = read_line().split(" ")[-1]
    fd = os.open("/tmp/.airlock-nonce", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, nonce.encode("latin-1"))
    os.close(fd)
    with tarfile.open(fileobj=io.BytesIO(read_exact(tar_len))) as tar:
        tar.extractall("/work", filter="data")
    args = [read_exact(n).decode("utf-8", "surrogateescape") for n in arg_lens]
    os.chdir("/work")
    script = os.path.join("/work", entry)
    sys.argv = [entry, *args]
    sys.path[0] = os.path.dirname(script)
    streams = stream_identities()
    code = run_program(script)
    status = exit_status(code)
    if status is None:
        sys.exit(code)
    report_and_stop(nonce, status, streams)
    sys.exit(status)  # it could not: the interpreter's own exit, and the wrapper's marker


def run_program(script):
    """Runs the program; what it exits with, as the code of a SystemExit (None: it ended normally)."""
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        return e.code
    except BaseException as e:  # report like `python3 main.py` would: the program's frames only
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb)
        sys.stderr.flush()
        return 1
    return None


def exit_status(code):
    """The exit status `python3 main.py` ends with for sys.exit(code), after printing a code that is not
    an integer to stderr as it does; None for an integer the interpreter itself must judge."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if -(2**31) <= code < 2**31 else None
    try:
        sys.stderr.write(f"{code}\n")
    except BaseException:
        return None
    return 1


def stream_identities():
    """What fds 1 and 2 are (the container's stdout and stderr pipes): did the program move them?"""
    try:
        return [(st.st_dev, st.st_ino) for st in (os.fstat(1), os.fstat(2))]
    except OSError:
        return None


def report_and_stop(nonce, status, streams):
    """
    Ends the run the way the interpreter's exit would (atexit handlers run, unreachable objects
    finalized, the standard streams flushed), prints the completion marker on both streams, and stops
    this process instead of exiting. Exiting would first tear the interpreter down (modules, memory:
    ~6 ms of CPU for a hello world here, more under load) and then wake the wrapper to print the
    marker; the host answers as soon as it reads the marker, and removes the container after.
    Objects still reachable at exit are not finalized, which Python does not promise either.

    Returns False where it cannot end the run as the interpreter would: the program imported threading
    (its non-daemon threads are joined at exit), or moved fd 1 or 2 elsewhere (the marker must reach
    the host's pipes). The launcher then exits as before and the wrapper prints the marker (a marker
    seen twice on a stream changes nothing: runner/phases.ts).
    """
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)  # CPython's own exit step, 3.0 onwards
    if "threading" in sys.modules or run_exitfuncs is None or streams is None:
        return False
    run_exitfuncs()
    gc.collect()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BaseException:
        return False  # the interpreter's exit reports this (status 120)
    # An exit handler or a finalizer may have moved a stream. (A thread one of them starts is not
    # joined: CPython joins threads before it runs the handlers.)
    if stream_identities() != streams:
        return False
    marker = f"\x1fAL:{nonce}:R:{status}\x1f".encode("latin-1")
    try:
        os.write(1, marker)
        os.write(2, marker)
    except OSError:
        return False
    # Stopped until the host removes the container; a SIGCONT from a leftover child changes nothing.
    while True:
        os.kill(os.getpid(), signal.SIGSTOP)


main()
