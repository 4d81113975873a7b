# category: spawning shells
# expect: refused
# subprocess.run of a shell.
import subprocess
subprocess.run(["/bin/sh", "-c", "touch __WATCH_DIR__/pwned.txt"])
