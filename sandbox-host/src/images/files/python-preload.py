# Pre-started Python launcher: the interpreter is already up (and these modules imported) while the
# container waits in the pool, so a run skips Python's start-up. It reads the same input stream as the
# shell wrapper would (header, command lines, tar, args; see docker/wrapper.ts; the run line's last word
# is the script, the run's entry file) with exact-size os.read calls, so
# whatever follows is left on fd 0 for the program's own stdin. The nonce goes to a file for the wrapper,
# which prints the completion marker after this process exits (the program can tamper with that file:
# that only affects its own result).
import io
import os

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
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as e:  # report like `python3 main.py` would: the program's frames only
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb)
        sys.stderr.flush()
        sys.exit(1)


main()
