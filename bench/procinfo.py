"""What the benchmarks read from /proc about the processes they started.

Imported by the bench scripts next to it (Python puts a script's own directory on sys.path).
Every reader returns a neutral value for a process that has gone away meanwhile.
"""
import os


def pss_kib(pid, field="Pss:"):
    """A field of /proc/PID/smaps_rollup in KiB (Pss: by default, or Pss_Anon: ...); 0 if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def ppid_of(pid):
    """The parent's pid, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    # The name (field 2) may hold spaces and parentheses: field 3 starts after the last ')'.
    return int(s[s.rindex(")") + 2:].split()[1])


def comm_of(pid):
    """The process's name, or "" if it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def procs_under(root):
    """Pids of the processes whose cwd lies in root (everything a run started there)."""
    found = []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{e}/cwd")
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + "/"):
            found.append(int(e))
    return found
