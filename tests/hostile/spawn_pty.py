# category: spawning shells
# expect: refused
# pty.spawn of a shell.
import pty
pty.spawn(["/bin/sh", "-c", "touch __WATCH_DIR__/pwned.txt"])
