# category: signals
# expect: refused
# SIGKILL to the server's process group.
import os, signal
os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
