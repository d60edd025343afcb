# Runs a command and reports what the kernel measured for it alone: wall time from fork to exit,
# user and system CPU time, and peak RSS (wait4's rusage; microsecond resolution, unlike GNU time).
# Usage: rusage.py OUT_JSON COMMAND [ARGS...]   (the child inherits stdin, stdout and stderr)
import json, os, sys, time

out, argv = sys.argv[1], sys.argv[2:]
start = time.monotonic_ns()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.monotonic_ns() - start
with open(out, 'w') as f:
    json.dump({
        'wallMs': wall / 1e6,
        'cpuMs': (usage.ru_utime + usage.ru_stime) * 1000,
        'userMs': usage.ru_utime * 1000,
        'sysMs': usage.ru_stime * 1000,
        'rssKiB': usage.ru_maxrss,
        'status': os.waitstatus_to_exitcode(status),
    }, f)
